-- Dead letters re-driven from this service (who, when, where the copy landed on the original topic).
CREATE TABLE redrives (
    letter_id       text NOT NULL,
    actor           text NOT NULL,
    topic           text NOT NULL,
    kafka_partition int NOT NULL,
    kafka_offset    bigint NOT NULL,
    redriven_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (letter_id, redriven_at)
);
