-- The deployment's Ed25519 key that signs published events, used when no LEADSTORE_SIGNING_KEY is configured:
-- made once by the first process that needs it (the primary key admits one row), so that every API process
-- and worker signs with, and serves the public half of, the same key.
CREATE TABLE signing_key (
    singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    algorithm  text        NOT NULL DEFAULT 'ed25519' CHECK (algorithm = 'ed25519'),
    seed       bytea       NOT NULL CHECK (length(seed) = 32),
    created_at timestamptz NOT NULL DEFAULT now()
);
