-- Documents units submit to the bureau (survey forms, plans, monthly reports) and their review.
-- A submission is received once and reviewed at most once: accepted, or returned with a reason.
CREATE TABLE submissions (
    submission_id text PRIMARY KEY,
    unit          text NOT NULL,
    kind          text NOT NULL,
    period        text NOT NULL,                 -- 'once' or the month YYYY-MM it is due in
    received_at   timestamptz NOT NULL,
    file_sha256   text NOT NULL,
    file_name     text NOT NULL,
    file_format   text NOT NULL,
    file          bytea NOT NULL,
    completed     boolean NOT NULL DEFAULT false,
    status        text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'accepted', 'returned')),
    reviewed_at   timestamptz,
    reviewer      text,
    reason        text,
    CHECK ((status = 'received') = (reviewed_at IS NULL)),
    CHECK (status <> 'returned' OR reason IS NOT NULL)
);
CREATE INDEX submissions_by_unit ON submissions (unit, kind, period);
