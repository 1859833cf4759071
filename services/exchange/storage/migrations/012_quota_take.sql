-- A gateway call's quota in one round trip (was BEGIN, INSERT, COMMIT): the windows' counters go up under their
-- row locks and, when one passes its limit, the function raises, which undoes the whole statement: a refused
-- call counts nothing and concurrent calls never pass a limit, as before.
-- The count commits asynchronously: it needs no flush of its own, because the call's record commits durably
-- right after it and the WAL is flushed in order: a crash of PostgreSQL can lose only counts of calls that were
-- not recorded (so not answered) yet.
CREATE FUNCTION take_quota(subscription text, spans text[], starts timestamptz[], limits integer[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    over text;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    WITH counted AS (
        INSERT INTO quota_counts AS q (request_id, span, start, calls)
        SELECT subscription, w.span, w.start, 1 FROM unnest(spans, starts) AS w (span, start)
        ON CONFLICT (request_id, span, start) DO UPDATE SET calls = q.calls + 1
        RETURNING q.span, q.calls)
    SELECT string_agg(c.span, ',' ORDER BY c.span) INTO over
    FROM counted c JOIN unnest(spans, limits) AS l (span, cap) ON l.span = c.span WHERE c.calls > l.cap;
    IF over IS NOT NULL THEN
        RAISE EXCEPTION 'over quota' USING ERRCODE = 'P0001', DETAIL = over;
    END IF;
END
$$;
