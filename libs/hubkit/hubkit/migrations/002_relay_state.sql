-- Which broker cluster the relay last published to. Sent rows are kept for a retention window, so a
-- broker that comes back with a new log (another cluster id) can be re-seeded from them in order.
CREATE TABLE relay_state (
    id             boolean PRIMARY KEY DEFAULT true CHECK (id),
    cluster_id     text NOT NULL,
    reseeded_at    timestamptz,
    reseeded_rows  bigint NOT NULL DEFAULT 0
);
CREATE INDEX outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL;
