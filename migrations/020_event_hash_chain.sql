-- Tamper evidence: each event carries a SHA-256 over its canonical content chained to the previous event
-- of its stream. The canonical content is built here, from the stored values (jsonb normalises key order
-- and numbers), and leaves out position and transaction_id, which change on import and restore.
ALTER TABLE events ADD COLUMN prev_hash bytea, ADD COLUMN hash bytea;

CREATE FUNCTION event_hash(
    prev_hash bytea, event_id uuid, account_id uuid, stream_id uuid, stream_type text, version integer,
    type text, data jsonb, metadata jsonb, occurred_at timestamptz
) RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE
RETURN sha256(coalesce(prev_hash, '\x'::bytea) || convert_to(jsonb_build_array(
    event_id, account_id, stream_id, stream_type, version, type, data, metadata,
    to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
)::text, 'UTF8'));

-- Backfill the events written before this migration, stream by stream in version order. Only here is the
-- append-only trigger lifted, inside this migration's transaction.
ALTER TABLE events DISABLE TRIGGER events_no_update_delete;

WITH RECURSIVE chain AS (
    SELECT position, stream_id, version, NULL::bytea AS prev_hash,
           event_hash(NULL, event_id, account_id, stream_id, stream_type, version, type, data, metadata,
                      occurred_at) AS hash
    FROM events WHERE version = 1
    UNION ALL
    SELECT e.position, e.stream_id, e.version, c.hash,
           event_hash(c.hash, e.event_id, e.account_id, e.stream_id, e.stream_type, e.version, e.type, e.data,
                      e.metadata, e.occurred_at)
    FROM chain c JOIN events e ON e.stream_id = c.stream_id AND e.version = c.version + 1
)
UPDATE events e SET prev_hash = chain.prev_hash, hash = chain.hash FROM chain WHERE e.position = chain.position;

ALTER TABLE events ENABLE TRIGGER events_no_update_delete;
