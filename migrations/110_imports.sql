-- Bulk imports (issue 14): an uploaded CSV or NDJSON file and how far its run has got. The upload is kept
-- as sent (`body`) until the run ends, then dropped: it holds personal data that only the leads' own events
-- should keep. The worker that holds the lease `import:<id>` runs it in chunks of rows; each chunk's counts,
-- errors and the row `cursor` are saved together (fenced by the lease), so a worker killed mid-import is
-- followed by one that resumes at the cursor. Rows past the cursor that were written before the kill are
-- not written twice: each row's write carries the idempotency key `import:<id>:<row>`.
CREATE TABLE imports (
    id                    uuid        PRIMARY KEY,
    account_id            uuid        NOT NULL REFERENCES accounts (id),
    user_id               uuid        NOT NULL,  -- the importer: created_by of every lead it creates
    role                  text        NOT NULL,  -- the importer's role at upload: what the run may touch
    api_key_id            uuid,                  -- the importer's key; the run stops when it is revoked
    email                 text,
    format                text        NOT NULL CHECK (format IN ('csv', 'ndjson')),
    charset               text        NOT NULL DEFAULT 'utf-8',
    columns               jsonb       NOT NULL,  -- the file's columns, each resolved to a field (or null)
    on_duplicate          text        NOT NULL CHECK (on_duplicate IN ('skip', 'update')),
    skip_team_requirement boolean     NOT NULL DEFAULT false,
    metadata              jsonb       NOT NULL,  -- the upload's audit metadata, recorded by every row's events
    body                  bytea,                 -- the file as sent; null once the run has ended
    state                 text        NOT NULL DEFAULT 'queued'
                                      CHECK (state IN ('queued', 'running', 'done', 'failed')),
    rows                  integer     NOT NULL,  -- lead rows in the file (blank lines are not rows)
    cursor                integer     NOT NULL DEFAULT 0,  -- rows (in file order) whose outcome is counted
    done                  integer     NOT NULL DEFAULT 0,
    created               integer     NOT NULL DEFAULT 0,
    updated               integer     NOT NULL DEFAULT 0,
    skipped               integer     NOT NULL DEFAULT 0,
    failed                integer     NOT NULL DEFAULT 0,
    errors                jsonb       NOT NULL DEFAULT '[]',  -- the first 1,000 row errors, in row order
    failure               text,                  -- why the run itself failed (state failed)
    created_at            timestamptz NOT NULL DEFAULT now(),
    started_at            timestamptz,
    finished_at           timestamptz
);
CREATE INDEX imports_account ON imports (account_id, created_at DESC, id DESC);
-- what workers look for: the imports still to run
CREATE INDEX imports_pending ON imports (created_at) WHERE state IN ('queued', 'running');
