-- A gateway call on a remembered route in one round trip: the route (the consumer's subscription, the resource,
-- its endpoint) is used only if none of its three rows changed since it was read (each row's xmin is its
-- version: any update gives it a new one), and the call's quota is taken in the same statement. A changed row
-- raises 'stale route' (the gateway reads the route again and judges it afresh), so a subscription suspended,
-- revoked or changed, a resource withdrawn or an endpoint moved is honoured on the very next call, whichever
-- process remembered what.
CREATE FUNCTION admit_cached(p_subscription text, p_code text, p_sub_version text, p_resource_version text,
                             p_endpoint_version text, p_spans text[], p_starts timestamptz[], p_limits integer[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM requests r JOIN resources s ON s.code = r.resource_code
        LEFT JOIN endpoints e ON e.resource_code = s.code
        WHERE r.id = p_subscription AND s.code = p_code AND r.xmin::text = p_sub_version
          AND s.xmin::text = p_resource_version AND e.xmin::text IS NOT DISTINCT FROM p_endpoint_version) THEN
        RAISE EXCEPTION 'stale route' USING ERRCODE = 'P0001', DETAIL = 'stale';
    END IF;
    IF cardinality(p_spans) > 0 THEN
        PERFORM take_quota(p_subscription, p_spans, p_starts, p_limits);
    END IF;
END
$$;
