-- A closed month: each unit's result frozen with the ruleset version, the last archived position and a hash.
CREATE TABLE closed_months (
    month         text PRIMARY KEY,
    ruleset       text NOT NULL,
    ruleset_version int NOT NULL,
    last_position bigint NOT NULL,
    as_of         timestamptz NOT NULL,
    sha256        text NOT NULL,
    closed_by     text NOT NULL,
    closed_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE closed_results (
    month   text NOT NULL REFERENCES closed_months (month),
    unit    text NOT NULL,
    total   numeric(6, 2) NOT NULL,
    result  jsonb NOT NULL,
    canonical bytea NOT NULL,
    sha256  text NOT NULL,
    PRIMARY KEY (month, unit)
);
