-- Where each reader of the log (projection, publisher) has got to, as a (transaction_id, position) pair.
CREATE TABLE checkpoints (
    name           text        PRIMARY KEY,
    transaction_id xid8        NOT NULL DEFAULT '0',
    position       bigint      NOT NULL DEFAULT 0,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
