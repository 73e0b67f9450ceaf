-- The write lane (issue 8): a configuration version per account, the account's default rotation, and the
-- one server-side function that writes a command's events with everything that goes with them.

-- Every change to what commands are decided on (statuses, sources, teams and members, custom fields,
-- users, the default rotation) moves the account's configuration version. Processes cache the rules;
-- a write decided on an older version is refused by its own statement and decided again.
ALTER TABLE accounts ADD COLUMN config_version bigint NOT NULL DEFAULT 0;

CREATE TABLE account_rotations (
    account_id    uuid    PRIMARY KEY REFERENCES accounts (id),
    enabled       boolean NOT NULL DEFAULT false,
    members       uuid[]  NOT NULL DEFAULT '{}',
    -- round-robin pointer: index into the active members, moved by the write that takes the turn
    rotation_next integer NOT NULL DEFAULT 0
);

CREATE FUNCTION bump_config_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE accounts SET config_version = config_version + 1
    WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.account_id ELSE NEW.account_id END;
    RETURN NULL;
END;
$$;

CREATE FUNCTION bump_config_version_of_team() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE accounts SET config_version = config_version + 1
    WHERE id = (SELECT account_id FROM teams
                WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.team_id ELSE NEW.team_id END);
    RETURN NULL;
END;
$$;

CREATE TRIGGER statuses_config AFTER INSERT OR UPDATE OR DELETE ON statuses
    FOR EACH ROW EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER sources_config AFTER INSERT OR UPDATE OR DELETE ON sources
    FOR EACH ROW EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER custom_fields_config AFTER INSERT OR UPDATE OR DELETE ON custom_fields
    FOR EACH ROW EXECUTE FUNCTION bump_config_version();
-- the rotation pointers move with every turn: only the columns an admin changes count
CREATE TRIGGER teams_config AFTER INSERT OR DELETE OR UPDATE OF name, rotation ON teams
    FOR EACH ROW EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER team_members_config AFTER INSERT OR UPDATE OR DELETE ON team_members
    FOR EACH ROW EXECUTE FUNCTION bump_config_version_of_team();
CREATE TRIGGER users_config AFTER INSERT OR DELETE OR UPDATE OF active, role ON users
    FOR EACH ROW EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER account_rotations_config AFTER INSERT OR DELETE OR UPDATE OF enabled, members ON account_rotations
    FOR EACH ROW EXECUTE FUNCTION bump_config_version();

-- A rotation's pointer: a team's (p_team not null) or the account's default rotation's.
CREATE FUNCTION rotation_pointer(p_account uuid, p_team uuid) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p_team IS NULL
        THEN (SELECT rotation_next FROM account_rotations WHERE account_id = p_account)
        ELSE (SELECT rotation_next FROM teams WHERE id = p_team AND account_id = p_account) END
$$;

-- The rotation's transaction-scoped advisory lock (it writes nothing), then its pointer: the locked lane
-- takes a turn this way; every write that moves a pointer takes the same lock first.
CREATE FUNCTION lock_rotation(p_account uuid, p_team uuid, p_lock1 integer, p_lock2 integer) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(p_lock1, p_lock2);
    RETURN rotation_pointer(p_account, p_team);
END;
$$;

-- A command's whole write in one statement (DESIGN.md decision 2, way (b) on its own, way (a) inside the
-- locked lane's transaction). It takes the stream's advisory lock (none for a new stream), which assigns
-- no transaction id, so it queues behind a locked-lane command on the same lead. Checks next, none of
-- which writes: the acting key is live, the rules the
-- command was decided on are current, the rotation turn it took is still the next one. Then the event
-- insert, first of the writes; then the email reservation, the rotation pointer and the idempotency
-- record. Readers are woken after the commit, by the lane's notifier: a NOTIFY inside the write would
-- serialise every commit on the notify queue's lock (it halved throughput). Any refusal raises, so
-- nothing of the command is written:
--   LS001 the rules are stale (detail: the current version)   LS002 the API key is revoked or its user gone
--   LS003 the rotation turn moved (detail: the pointer)        LS004 the idempotency key is taken
--   LS005 the stream is not at p_expected (behind it)
-- p_events is a JSON array of {"id", "type", "data"}: one parameter, encoded once, whatever the count.
-- A version the stream already has fails on events_stream_version; a taken email on lead_emails_pkey.
CREATE FUNCTION write_command(
    p_account uuid, p_stream uuid, p_stream_type text, p_expected integer, p_stream_lock bigint,
    p_events jsonb, p_metadata jsonb, p_occurred timestamptz,
    p_config_version bigint, p_api_key uuid,
    p_release_email text, p_reserve_email text,
    p_turn_team uuid, p_turn_rotation boolean, p_turn_lock1 integer, p_turn_lock2 integer,
    p_turn_expected integer, p_turn_next integer,
    p_idem_key text, p_idem_hash bytea, p_idem_status integer, p_idem_headers jsonb, p_idem_body bytea,
    p_position_before text
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
                event->'data', p_metadata, p_occurred, previous,
                event_hash(previous, (event->>'id')::uuid, p_account, p_stream, p_stream_type, p_expected + i,
                           event->>'type', event->'data', p_metadata, p_occurred))
        RETURNING e.position, e.transaction_id, e.prev_hash, e.hash
        INTO "position", transaction_id, prev_hash, hash;
        previous := hash;
        last_token := transaction_id::text || '.' || "position"::text;
        RETURN NEXT;
    END LOOP;

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
