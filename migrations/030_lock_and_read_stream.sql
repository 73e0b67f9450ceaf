-- A command's first two steps in one round trip: take the stream's transaction-scoped advisory lock,
-- then read the stream. A VOLATILE function takes a fresh snapshot for each statement it runs, so the
-- read sees everything the previous holder of the lock committed while this one waited.
CREATE FUNCTION lock_and_read_stream(p_stream_id uuid, p_lock_key bigint) RETURNS SETOF events
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(p_lock_key);
    RETURN QUERY SELECT * FROM events WHERE stream_id = p_stream_id ORDER BY version;
END;
$$;
