-- A month's close with several shards (scoring/messaging/close_rounds.py): the instance closing the month opens
-- a round; every shard holds its projection still, says so with its part, and once all are held (and nothing is
-- in flight between them) scores its own units from memory into its part. Rows live for one close.
CREATE TABLE close_rounds (
    round     uuid PRIMARY KEY,
    month     text NOT NULL,
    as_of     bigint NOT NULL,  -- the instant scored (epoch microseconds)
    deadline  timestamptz NOT NULL,  -- a shard coming later ignores the round (its closer gave up)
    state     text NOT NULL DEFAULT 'holding' CHECK (state IN ('holding', 'scoring', 'abandoned'))
);
CREATE TABLE close_parts (
    round     uuid NOT NULL REFERENCES close_rounds ON DELETE CASCADE,
    shard     smallint NOT NULL,
    busy      boolean NOT NULL DEFAULT false,  -- the shard's projection did not come to a stop in time
    results   bytea,  -- its units' canonical results (JSON), once scored
    PRIMARY KEY (round, shard)
);
