-- The event log: source of truth and audit trail. One row per event, never updated or deleted.
CREATE TABLE events (
    position       bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id       uuid        NOT NULL UNIQUE,
    account_id     uuid        NOT NULL,
    stream_id      uuid        NOT NULL,
    stream_type    text        NOT NULL,
    version        integer     NOT NULL CHECK (version > 0),
    type           text        NOT NULL,
    data           jsonb       NOT NULL,
    metadata       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    occurred_at    timestamptz NOT NULL,
    transaction_id xid8        NOT NULL DEFAULT pg_current_xact_id(),
    CONSTRAINT events_stream_version UNIQUE (stream_id, version)
);

-- Readers walk the log in commit order: (transaction_id, position).
CREATE INDEX events_commit_order ON events (transaction_id, position);
CREATE INDEX events_account_commit_order ON events (account_id, transaction_id, position);
