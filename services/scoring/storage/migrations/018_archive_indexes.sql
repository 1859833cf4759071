-- The archive takes every event the projection folds, so each of its indexes is paid once per event on the
-- live path. Two of 016's served nothing another index does not: (shard, event_id) and (event_id) become one
-- unique (event_id, shard), whose leading column answers the lookups by event id (evidence, alerts, late
-- facts); (shard, position) goes, a shard's rebuild walking the primary key in position order instead (it
-- reads every row of the chain once at a start, whichever shard's).
ALTER TABLE archive DROP CONSTRAINT archive_shard_event;
DROP INDEX archive_event;
DROP INDEX archive_shard_position;
ALTER TABLE archive ADD CONSTRAINT archive_event_shard UNIQUE (event_id, shard);
