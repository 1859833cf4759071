-- Revoked tokens this service has read from the platform topic, and how far it has read it (hubkit.revocations).
CREATE TABLE revocations (
    id             uuid PRIMARY KEY,
    jti            text,
    subject        text,
    issued_before  bigint,
    expires_at     bigint NOT NULL,
    reason         text NOT NULL,
    by             text NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (jti IS NOT NULL OR subject IS NOT NULL)
);
CREATE INDEX revocations_expires_at ON revocations (expires_at);

CREATE TABLE revocation_offsets (
    kafka_partition int PRIMARY KEY,
    next_offset     bigint NOT NULL
);
