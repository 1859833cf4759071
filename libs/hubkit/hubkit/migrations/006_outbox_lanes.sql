-- The relay's urgent lane (hubkit.outbox): the unsent rows of a few topics, found without reading past a
-- backlog of other rows in the unsent index.
CREATE INDEX outbox_unsent_by_topic ON outbox (topic, seq) WHERE sent_at IS NULL;
