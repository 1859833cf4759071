-- A change of the shard count (`hub-scoring reshard N`, scoring/reshard.py): every shard's memory then starts
-- with every archive row up to `position`, whichever shard wrote it, and goes on with its own rows after it.
CREATE TABLE reshards (
    position     bigint NOT NULL,  -- the archive's head when the count changed
    from_shards  smallint NOT NULL,
    to_shards    smallint NOT NULL,
    at           timestamptz NOT NULL DEFAULT now()
);
