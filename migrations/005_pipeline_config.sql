-- Each account's pipeline: statuses, lead sources, teams (with their rotation pointer) and custom fields.
CREATE TABLE statuses (
    account_id uuid    NOT NULL REFERENCES accounts (id),
    key        text    NOT NULL,
    label      text    NOT NULL,
    kind       text    NOT NULL CHECK (kind IN ('open', 'won', 'lost')),
    position   integer NOT NULL,
    color      text,
    PRIMARY KEY (account_id, key)
);

CREATE TABLE teams (
    id            uuid        PRIMARY KEY,
    account_id    uuid        NOT NULL REFERENCES accounts (id),
    name          text        NOT NULL,
    rotation      boolean     NOT NULL DEFAULT false,
    -- round-robin pointer: index into the ordered active members, advanced FOR UPDATE by CreateLead
    rotation_next integer     NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX teams_account ON teams (account_id);

CREATE TABLE team_members (
    team_id  uuid        NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id  uuid        NOT NULL REFERENCES users (id),
    added_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (team_id, user_id)
);

CREATE TABLE sources (
    account_id uuid NOT NULL REFERENCES accounts (id),
    key        text NOT NULL,
    label      text NOT NULL,
    team_id    uuid REFERENCES teams (id) ON DELETE CASCADE,
    PRIMARY KEY (account_id, key)
);

CREATE TABLE custom_fields (
    account_id uuid    NOT NULL REFERENCES accounts (id),
    key        text    NOT NULL,
    label      text    NOT NULL,
    type       text    NOT NULL CHECK (type IN ('text', 'number', 'boolean', 'date', 'choice', 'multi_choice')),
    choices    jsonb   NOT NULL DEFAULT '[]'::jsonb,
    required   boolean NOT NULL DEFAULT false,
    PRIMARY KEY (account_id, key)
);
