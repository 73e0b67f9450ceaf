-- Erasure (issue 13): what a lead's erasure removes besides its data key, in the LeadErased event's own
-- transaction, after the event insert (DESIGN.md decision 2: the event is the first write).
--   * its email reservation: the address is free for a new lead;
--   * the stored responses of its idempotency keys: each is the lead's document (it starts with the lead's
--     id), whose personal members are overwritten with p_erased (nulls, `erased: true`). Responses already
--     erased (the erasure's own) are left as they are.
-- Returns how many idempotency responses it erased.
CREATE FUNCTION erase_lead_rows(p_account uuid, p_lead uuid, p_erased jsonb) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    prefix bytea := convert_to('{"id":"' || p_lead::text || '",', 'UTF8');
    erased integer;
BEGIN
    DELETE FROM lead_emails WHERE account_id = p_account AND lead_id = p_lead;
    WITH documents AS (
        SELECT k.key, convert_from(k.body, 'UTF8')::jsonb AS doc
        FROM idempotency_keys k
        WHERE k.account_id = p_account AND substring(k.body FROM 1 FOR length(prefix)) = prefix
    )
    UPDATE idempotency_keys k SET body = convert_to((d.doc || p_erased)::text, 'UTF8')
    FROM documents d
    WHERE k.account_id = p_account AND k.key = d.key AND d.doc -> 'erased' IS DISTINCT FROM 'true'::jsonb;
    GET DIAGNOSTICS erased = ROW_COUNT;
    RETURN erased;
END;
$$;
