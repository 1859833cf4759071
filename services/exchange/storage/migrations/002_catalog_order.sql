-- Catalog events come on several topics, and Kafka orders events within a partition only: a mount can
-- arrive before the publication it belongs to, an unmount before its mount, a metadata change before
-- the publication. Each fact keeps the instant it happened at, and an older fact never overwrites a
-- newer one, so the read model ends the same whatever the arrival order.
ALTER TABLE resources ADD COLUMN metadata_at timestamptz;
UPDATE resources SET metadata_at = published_at;
ALTER TABLE resources ALTER COLUMN metadata_at SET NOT NULL;
ALTER TABLE resources ADD COLUMN mounted boolean GENERATED ALWAYS AS (mount_kind IS NOT NULL) STORED;

-- The latest mount state of each resource, kept even while the resource is not yet known.
CREATE TABLE mounts (
    code        text PRIMARY KEY,
    provider    text NOT NULL,
    mount_kind  text CHECK (mount_kind IN ('table', 'file', 'api')),  -- NULL: unmounted
    changed_at  timestamptz NOT NULL
);
INSERT INTO mounts (code, provider, mount_kind, changed_at)
    SELECT code, provider, mount_kind, published_at FROM resources WHERE mount_kind IS NOT NULL;
