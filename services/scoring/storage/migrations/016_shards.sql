-- Scoring sharded by unit (scoring/domain/sharding.py): each projection instance (a shard) reads the
-- partitions of its units and keeps its own offsets and time frame. All of them append to the one
-- archive chain; an event forwarded to two shards is archived by each (replay and the evidence take
-- duplicates: a fact folds once). `about`: the other units an event moves (an attributed finding's,
-- a license's issuer, a county's city), what a shard sends on when a county's city becomes known.
ALTER TABLE archive ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE archive ADD COLUMN about text[];
ALTER TABLE archive DROP CONSTRAINT archive_event_id_key;
ALTER TABLE archive ADD CONSTRAINT archive_shard_event UNIQUE (shard, event_id);
CREATE INDEX archive_event ON archive (event_id);
CREATE INDEX archive_shard_position ON archive (shard, position);
CREATE INDEX archive_about ON archive USING gin (about) WHERE about IS NOT NULL;

ALTER TABLE offsets ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE offsets DROP CONSTRAINT offsets_pkey;
ALTER TABLE offsets ADD PRIMARY KEY (shard, topic, kafka_partition);

ALTER TABLE projection_state ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE projection_state ADD COLUMN shards smallint NOT NULL DEFAULT 1;
ALTER TABLE projection_state ADD COLUMN earliest timestamptz;
ALTER TABLE projection_state DROP CONSTRAINT projection_state_pkey;
ALTER TABLE projection_state DROP COLUMN id;
ALTER TABLE projection_state ADD PRIMARY KEY (shard);
