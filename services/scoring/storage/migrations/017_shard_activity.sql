-- Sharded scoring: each shard's activity figures of its own units (scoring/domain/activity.py) per month, for
-- the dashboards to add up (a shard's memory holds the facts of its units only). One row per shard and month.
CREATE TABLE shard_activity (
    shard    smallint NOT NULL,
    month    text NOT NULL,
    at       timestamptz NOT NULL,  -- the instant the figures are for
    figures  jsonb NOT NULL,
    PRIMARY KEY (shard, month)
);
