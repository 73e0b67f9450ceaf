-- Encryption at rest (issue 13, DESIGN.md decision 10): one data key per lead stream, stored wrapped
-- (AES-256-GCM) by the operator's key-encryption key (KEK), which never reaches the database. `kek_id`
-- names the KEK that wrapped the row, so `leadstore rotate-kek` can rewrap in batches and resume. Erasing a
-- lead deletes its row: its personal values, encrypted in the log, can then never be read again.
CREATE TABLE lead_keys (
    lead_id     uuid        PRIMARY KEY,
    account_id  uuid        NOT NULL,
    wrapped_key bytea       NOT NULL,
    kek_id      text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- No index on kek_id: a rotation walks the primary key (rows already rewrapped are skipped), and every create
-- would pay for one.

-- write_command (migration 050) again, with two changes: each event may carry its own metadata (its
-- personal values are encrypted with the event's id bound in), and a new lead's wrapped data key is
-- inserted after its events, in the same statement.
DROP FUNCTION write_command(
    uuid, uuid, text, integer, bigint, jsonb, jsonb, timestamptz, bigint, uuid, text, text, uuid, boolean,
    integer, integer, integer, integer, text, bytea, integer, jsonb, bytea, text);

CREATE FUNCTION write_command(
    p_account uuid, p_stream uuid, p_stream_type text, p_expected integer, p_stream_lock bigint,
    p_events jsonb, p_metadata jsonb, p_occurred timestamptz,
    p_config_version bigint, p_api_key uuid,
    p_release_email text, p_reserve_email text,
    p_turn_team uuid, p_turn_rotation boolean, p_turn_lock1 integer, p_turn_lock2 integer,
    p_turn_expected integer, p_turn_next integer,
    p_idem_key text, p_idem_hash bytea, p_idem_status integer, p_idem_headers jsonb, p_idem_body bytea,
    p_position_before text, p_data_key bytea, p_kek_id text
) RETURNS TABLE ("position" bigint, transaction_id xid8, prev_hash bytea, hash bytea)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    current_version bigint;
    pointer integer;
    previous bytea;
    event jsonb;
    i integer := 0;
    last_token text := p_position_before;
BEGIN
    -- behind a locked-lane command on the same lead, so that one never loses to a lock-free writer
    IF p_stream_lock IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(p_stream_lock);
    END IF;
    IF p_api_key IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM api_keys k JOIN users u ON u.id = k.user_id AND u.active
        WHERE k.id = p_api_key AND k.revoked_at IS NULL) THEN
        RAISE EXCEPTION 'the API key is revoked or its user deactivated' USING ERRCODE = 'LS002';
    END IF;
    IF p_config_version IS NOT NULL THEN
        SELECT a.config_version INTO current_version FROM accounts a WHERE a.id = p_account;
        IF current_version IS DISTINCT FROM p_config_version THEN
            RAISE EXCEPTION 'the account''s rules changed' USING ERRCODE = 'LS001', DETAIL = current_version::text;
        END IF;
    END IF;
    IF p_turn_rotation THEN
        PERFORM pg_advisory_xact_lock(p_turn_lock1, p_turn_lock2);
        pointer := rotation_pointer(p_account, p_turn_team);
        IF pointer IS DISTINCT FROM p_turn_expected THEN
            RAISE EXCEPTION 'the rotation moved on' USING ERRCODE = 'LS003', DETAIL = coalesce(pointer, 0)::text;
        END IF;
    END IF;

    IF p_expected > 0 AND jsonb_array_length(p_events) > 0 THEN
        SELECT e.hash INTO previous FROM events e WHERE e.stream_id = p_stream AND e.version = p_expected;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'stream % is not at version %', p_stream, p_expected USING ERRCODE = 'LS005';
        END IF;
    END IF;
    FOR event IN SELECT value FROM jsonb_array_elements(p_events) LOOP
        i := i + 1;
        INSERT INTO events AS e (event_id, account_id, stream_id, stream_type, version, type, data, metadata,
                                 occurred_at, prev_hash, hash)
        VALUES ((event->>'id')::uuid, p_account, p_stream, p_stream_type, p_expected + i, event->>'type',
                event->'data', coalesce(event->'metadata', p_metadata), p_occurred, previous,
                event_hash(previous, (event->>'id')::uuid, p_account, p_stream, p_stream_type, p_expected + i,
                           event->>'type', event->'data', coalesce(event->'metadata', p_metadata),
                           p_occurred))
        RETURNING e.position, e.transaction_id, e.prev_hash, e.hash
        INTO "position", transaction_id, prev_hash, hash;
        previous := hash;
        last_token := transaction_id::text || '.' || "position"::text;
        RETURN NEXT;
    END LOOP;
    -- the new lead's data key, after its first event (DESIGN.md decision 2: the event insert comes first);
    -- a lead from before encryption gets one with its first encrypted event
    IF p_data_key IS NOT NULL AND i > 0 THEN
        INSERT INTO lead_keys (account_id, lead_id, wrapped_key, kek_id)
        VALUES (p_account, p_stream, p_data_key, p_kek_id)
        ON CONFLICT (lead_id) DO NOTHING;
    END IF;

    IF p_release_email IS NOT NULL THEN
        DELETE FROM lead_emails
        WHERE account_id = p_account AND email_lower = lower(p_release_email) AND lead_id = p_stream;
    END IF;
    IF p_reserve_email IS NOT NULL THEN
        INSERT INTO lead_emails (account_id, email_lower, lead_id) VALUES (p_account, lower(p_reserve_email), p_stream);
    END IF;
    IF p_turn_rotation THEN
        IF p_turn_team IS NULL THEN
            UPDATE account_rotations SET rotation_next = p_turn_next WHERE account_id = p_account;
        ELSE
            UPDATE teams SET rotation_next = p_turn_next WHERE id = p_turn_team;
        END IF;
    END IF;
    IF p_idem_key IS NOT NULL THEN
        -- an expired record is taken over; a live one (even one a concurrent request committed while this
        -- insert waited) refuses this request
        INSERT INTO idempotency_keys AS k (account_id, key, request_hash, status, headers, body)
        VALUES (p_account, p_idem_key, p_idem_hash, p_idem_status,
                p_idem_headers || jsonb_build_object('leadstore-position', last_token), p_idem_body)
        ON CONFLICT (account_id, key) DO UPDATE
        SET request_hash = EXCLUDED.request_hash, status = EXCLUDED.status, headers = EXCLUDED.headers,
            body = EXCLUDED.body, created_at = now()
        WHERE k.created_at <= now() - interval '24 hours';
        IF NOT FOUND THEN
            RAISE EXCEPTION 'idempotency key taken' USING ERRCODE = 'LS004';
        END IF;
    END IF;
END;
$$;
