-- The bureau's review (seed 003 §6.2.5–6.2.8): a resource is submitted, reviewed, returned or approved, and
-- published at once or when its public notice (公示) ends. Every submission is a row; a resource has at most
-- one undecided submission. Resources published before reviews existed keep their state.
ALTER TABLE resources DROP CONSTRAINT resources_status_check;
ALTER TABLE resources ADD CONSTRAINT resources_status_check
    CHECK (status IN ('draft', 'submitted', 'returned', 'in_notice', 'published'));

CREATE TABLE reviews (
    id            text PRIMARY KEY,
    seq           bigserial NOT NULL UNIQUE,  -- submission order (several may share an instant)
    code          text NOT NULL REFERENCES resources (code),
    subject       text NOT NULL CHECK (subject IN ('publication', 'change')),
    metadata      jsonb NOT NULL,
    changed       text[] NOT NULL DEFAULT '{}',
    submitted_at  timestamptz NOT NULL,
    due           timestamptz NOT NULL,
    decision      text CHECK (decision IN ('approved', 'returned')),
    decided_at    timestamptz,
    reasons       jsonb NOT NULL DEFAULT '[]',
    notice_until  timestamptz,
    overdue_at    timestamptz,
    CHECK ((decision IS NULL) = (decided_at IS NULL))
);
CREATE UNIQUE INDEX reviews_one_open ON reviews (code) WHERE decision IS NULL;
CREATE INDEX reviews_code ON reviews (code, seq);
CREATE INDEX reviews_undecided ON reviews (due) WHERE decision IS NULL;
CREATE INDEX reviews_in_notice ON reviews (notice_until) WHERE notice_until IS NOT NULL;
