-- Tenants, their users and API keys (keys stored only as a SHA-256 hash).
CREATE TABLE accounts (
    id         uuid        PRIMARY KEY,
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id         uuid        PRIMARY KEY,
    account_id uuid        NOT NULL REFERENCES accounts (id),
    email      text        NOT NULL,
    name       text,
    role       text        NOT NULL CHECK (role IN ('admin', 'manager', 'member')),
    active     boolean     NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_account_email ON users (account_id, lower(email));

CREATE TABLE api_keys (
    id           uuid        PRIMARY KEY,
    account_id   uuid        NOT NULL REFERENCES accounts (id),
    user_id      uuid        NOT NULL REFERENCES users (id),
    key_hash     bytea       NOT NULL UNIQUE,
    prefix       text        NOT NULL,
    name         text,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz
);
