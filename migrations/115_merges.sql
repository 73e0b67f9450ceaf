-- Merges (issue 14) write several leads' streams in one transaction. Their first step, in one round trip:
-- take the transaction-scoped advisory lock of every stream, in the order given (the caller sorts the keys,
-- so two merges sharing a lead queue instead of deadlocking), then read all of them. A VOLATILE function
-- takes a fresh snapshot for each statement, so the read sees everything committed by earlier holders.
CREATE FUNCTION lock_and_read_streams(p_stream_ids uuid[], p_lock_keys bigint[]) RETURNS SETOF events
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    lock_key bigint;
BEGIN
    FOREACH lock_key IN ARRAY p_lock_keys LOOP
        PERFORM pg_advisory_xact_lock(lock_key);
    END LOOP;
    RETURN QUERY SELECT * FROM events WHERE stream_id = ANY(p_stream_ids) ORDER BY stream_id, version;
END;
$$;
