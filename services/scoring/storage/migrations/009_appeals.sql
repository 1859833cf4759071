-- Appeals against findings: one per finding, lodged within the window, decided once by the bureau.
CREATE TABLE appeals (
    appeal_id       text PRIMARY KEY,
    finding_id      text NOT NULL UNIQUE REFERENCES findings (finding_id),
    unit            text NOT NULL,               -- the unit that appealed
    lodged_at       timestamptz NOT NULL,
    reason          text NOT NULL,
    file_name       text,
    file_format     text,
    file_sha256     text,
    file            bytea,
    status          text NOT NULL DEFAULT 'lodged' CHECK (status IN ('lodged', 'upheld', 'rejected')),
    decided_at      timestamptz,
    decided_by      text,
    decision_reason text,
    CHECK ((status = 'lodged') = (decided_at IS NULL))
);
CREATE INDEX appeals_by_unit ON appeals (unit, lodged_at);
