-- Request limits (issue 10): token buckets that every API process of a deployment draws from. A bucket
-- is named by what it limits (`key:<api key id>`, `address:<client address>`); a missing row is a full
-- bucket, so `full_at` (when the row will equal a missing one) lets any process delete idle rows.
-- UNLOGGED: a bucket is worth nothing after a crash (it starts full again), so its updates write no WAL
-- and their commits wait for no disk flush. A busy key's row is updated hundreds of times a second: no
-- index but the key's and room left on each page keep those updates HOT (no new index entries); the purge
-- of full rows scans the small table instead.
CREATE UNLOGGED TABLE rate_limit_buckets (
    bucket      text             PRIMARY KEY,
    tokens      double precision NOT NULL,
    refilled_at timestamptz      NOT NULL,
    full_at     timestamptz      NOT NULL
) WITH (fillfactor = 50);

-- Take up to p_want whole tokens from a bucket that refills at p_rate a second up to p_burst: the tokens
-- granted (none when less than one is there) and the seconds until the bucket holds a whole token again.
-- The time is the database's, the same for every process, read once the row lock is held.
CREATE FUNCTION take_tokens(
    p_bucket text, p_rate double precision, p_burst double precision, p_want integer,
    OUT granted integer, OUT wait_seconds double precision
) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_tokens double precision;
    v_refilled timestamptz;
    v_now timestamptz;
    v_level double precision;
BEGIN
    SELECT b.tokens, b.refilled_at INTO v_tokens, v_refilled
    FROM rate_limit_buckets b WHERE b.bucket = p_bucket FOR UPDATE;
    IF NOT FOUND THEN
        -- the first take of a bucket: create it full, then lock it like any other (a concurrent first
        -- take may have created it meanwhile)
        INSERT INTO rate_limit_buckets AS b (bucket, tokens, refilled_at, full_at)
        VALUES (p_bucket, p_burst, clock_timestamp(), clock_timestamp())
        ON CONFLICT (bucket) DO NOTHING;
        SELECT b.tokens, b.refilled_at INTO v_tokens, v_refilled
        FROM rate_limit_buckets b WHERE b.bucket = p_bucket FOR UPDATE;
    END IF;
    v_now := clock_timestamp();
    v_level := least(p_burst, v_tokens + p_rate * greatest(0, extract(epoch FROM v_now - v_refilled)));
    granted := least(p_want, floor(v_level))::integer;
    IF granted > 0 THEN
        v_level := v_level - granted;
        UPDATE rate_limit_buckets b
        SET tokens = v_level, refilled_at = v_now,
            full_at = v_now + make_interval(secs => (p_burst - v_level) / p_rate)
        WHERE b.bucket = p_bucket;
    END IF;
    wait_seconds := greatest(0, 1 - v_level) / p_rate;
END;
$$;

-- Give back tokens taken and not used (never beyond p_burst).
CREATE FUNCTION give_back_tokens(p_bucket text, p_rate double precision, p_burst double precision, p_tokens integer)
RETURNS void LANGUAGE sql VOLATILE AS $$
    UPDATE rate_limit_buckets b
    SET tokens = least(p_burst, b.tokens + p_tokens),
        full_at = b.refilled_at + make_interval(secs => (p_burst - least(p_burst, b.tokens + p_tokens)) / p_rate)
    WHERE b.bucket = p_bucket
$$;
