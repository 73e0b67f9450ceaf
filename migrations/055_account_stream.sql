-- Administration is events too (DESIGN.md decision 9): every change to an account's users, keys and
-- configuration appends an event to the account's own stream (stream_id = the account's id, stream_type
-- 'account'), in the same log and hash chain as the leads, in the transaction that changes the tables.
-- The configuration tables stay tables written in that transaction, not read models built after it:
-- commands read them synchronously (the write lane checks the rules version and the acting key inside its
-- own statement), so a status created is usable by the very next request and a revoked key fails the very
-- next write, which an eventually consistent read model could not promise.
CREATE FUNCTION append_account_event(
    p_account uuid, p_event uuid, p_type text, p_data jsonb, p_metadata jsonb, p_occurred timestamptz
) RETURNS TABLE ("position" bigint, transaction_id xid8, version integer)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    previous bytea;
    next_version integer;
BEGIN
    -- An account's administrative changes queue on its row. NO KEY: lead writes' foreign-key checks
    -- (FOR KEY SHARE) are not held up.
    PERFORM 1 FROM accounts WHERE id = p_account FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no account %', p_account USING ERRCODE = 'no_data_found';
    END IF;
    SELECT e.version + 1, e.hash INTO next_version, previous
    FROM events e WHERE e.stream_id = p_account ORDER BY e.version DESC LIMIT 1;
    next_version := coalesce(next_version, 1);
    INSERT INTO events AS e (event_id, account_id, stream_id, stream_type, version, type, data, metadata,
                             occurred_at, prev_hash, hash)
    VALUES (p_event, p_account, p_account, 'account', next_version, p_type, p_data, p_metadata, p_occurred,
            previous, event_hash(previous, p_event, p_account, p_account, 'account', next_version, p_type, p_data,
                                 p_metadata, p_occurred))
    RETURNING e.position, e.transaction_id, e.version INTO "position", transaction_id, version;
    -- administrative changes are rare: waking the readers from here costs nothing worth saving
    PERFORM pg_notify('leadstore_events', '');
    RETURN NEXT;
END;
$$;
