-- Webhook endpoints (issue 12) and their deliveries. An endpoint is configuration written with its event in
-- the account's stream (migration 055); its secret is stored encrypted (AES-256-GCM under the operator's
-- key), since signing needs the secret itself. A delivery row is one event owed to one endpoint: the
-- endpoint's reader writes it `pending` in the transaction that moves the endpoint's checkpoint
-- (`webhook:<id>` in checkpoints, under the lease of the same name), and the endpoint's sender delivers it.
CREATE TABLE webhooks (
    id                     uuid        PRIMARY KEY,
    account_id             uuid        NOT NULL REFERENCES accounts (id),
    url                    text        NOT NULL,
    event_types            text[]      NOT NULL,  -- {'*'} or event type names
    active                 boolean     NOT NULL DEFAULT true,
    description            text,
    secret                 bytea       NOT NULL,  -- sealed whsec_ secret
    previous_secret        bytea,                 -- sealed, still signed with until previous_expires_at
    previous_expires_at    timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    disabled_reason        text,                  -- set when deliveries failed for 3 days (active false)
    disabled_at            timestamptz,
    replay_after           text,                  -- a position token an admin asked to redeliver after
    deleted_at             timestamptz            -- deleted endpoints keep their row for the delivery log
);
CREATE INDEX webhooks_account ON webhooks (account_id, created_at, id);

CREATE TABLE webhook_deliveries (
    webhook_id     uuid        NOT NULL REFERENCES webhooks (id),
    event_id       uuid        NOT NULL,
    stream_id      uuid        NOT NULL,  -- per stream (lead), deliveries go in version order
    version        integer     NOT NULL,
    transaction_id xid8        NOT NULL,
    position       bigint      NOT NULL,
    state          text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts       integer     NOT NULL DEFAULT 0,
    last_status    integer,
    last_error     text,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    first_failed_at timestamptz,
    delivered_at   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (webhook_id, event_id)
);
-- the sender's work: an endpoint's pending deliveries, due first
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (webhook_id, next_attempt_at) WHERE state = 'pending';
-- the delivery log, newest first, by state
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, state, transaction_id DESC, position DESC);
