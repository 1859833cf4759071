-- The auditors' log: every fact event consumed, append-only, each row chained to the previous by hash.
CREATE TABLE archive (
    position     bigint PRIMARY KEY,
    event_id     uuid NOT NULL UNIQUE,
    type         text NOT NULL,
    unit         text NOT NULL,
    occurred_at  timestamptz NOT NULL,
    topic        text NOT NULL,
    kafka_partition int NOT NULL,
    kafka_offset bigint NOT NULL,
    envelope     bytea NOT NULL,
    prev_hash    bytea NOT NULL,
    hash         bytea NOT NULL,
    archived_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX archive_unit_time ON archive (unit, occurred_at);

-- Where the projection is: next offset per partition, committed with the state it produced.
CREATE TABLE offsets (
    topic        text NOT NULL,
    kafka_partition int NOT NULL,
    next_offset  bigint NOT NULL,
    PRIMARY KEY (topic, kafka_partition)
);

CREATE TABLE projection_state (
    id           boolean PRIMARY KEY DEFAULT true CHECK (id),
    watermark    timestamptz,
    last_position bigint NOT NULL DEFAULT 0,
    ruleset      text NOT NULL,
    ruleset_version int NOT NULL
);

-- The live score per unit and month, with its explanation (canonical result JSON).
CREATE TABLE scores (
    unit         text NOT NULL,
    month        text NOT NULL,
    ruleset      text NOT NULL,
    ruleset_version int NOT NULL,
    x            numeric(6, 2) NOT NULL,
    y            numeric(6, 2) NOT NULL,
    total        numeric(6, 2) NOT NULL,
    band         text NOT NULL,
    list         text NOT NULL,
    as_of        timestamptz NOT NULL,
    position     bigint NOT NULL,
    result       jsonb NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit, month)
);
CREATE INDEX scores_month_total ON scores (month, total DESC);

-- Every published change of a score; its position is the SSE event id consoles resume from.
CREATE TABLE score_ledger (
    position     bigserial PRIMARY KEY,
    unit         text NOT NULL,
    month        text NOT NULL,
    x            numeric(6, 2) NOT NULL,
    y            numeric(6, 2) NOT NULL,
    total        numeric(6, 2) NOT NULL,
    band         text NOT NULL,
    list         text NOT NULL,
    previous_total numeric(6, 2),
    as_of        timestamptz NOT NULL,
    archive_position bigint NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX score_ledger_unit ON score_ledger (unit, month, position);

-- Deductions that grew, as alerted (the department's feed).
CREATE TABLE alerts (
    event_id     uuid PRIMARY KEY,
    unit         text NOT NULL,
    month        text NOT NULL,
    item         text NOT NULL,
    points_added numeric(6, 2) NOT NULL,
    payload      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alerts_unit ON alerts (unit, created_at);
