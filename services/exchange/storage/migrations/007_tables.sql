-- Table exchange (domain/tables.py): the information items the catalog published with each resource, the
-- rows providers delivered, every change in cursor order for subscribers, and every batch's quality report
-- (accepted or not).
ALTER TABLE resources ADD COLUMN items jsonb NOT NULL DEFAULT '[]';

-- The last cursor position of each table; its row lock also puts a resource's batches one after another.
CREATE TABLE table_cursors (
    resource_code text PRIMARY KEY,
    last_seq      bigint NOT NULL
);

CREATE TABLE table_rows (
    resource_code text NOT NULL,
    key           text NOT NULL,   -- the key items' values as canonical JSON text
    row           jsonb NOT NULL,
    seq           bigint NOT NULL, -- the change that wrote it
    PRIMARY KEY (resource_code, key)
);

CREATE TABLE table_changes (
    resource_code text NOT NULL,
    seq           bigint NOT NULL,
    batch_id      text NOT NULL,
    op            text NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
    key           text NOT NULL,
    row           jsonb,           -- NULL for a delete
    PRIMARY KEY (resource_code, seq)
);

CREATE TABLE table_batches (
    id            text PRIMARY KEY,
    resource_code text NOT NULL,
    provider      text NOT NULL,
    received_at   timestamptz NOT NULL,
    format        text NOT NULL CHECK (format IN ('jsonl', 'csv')),
    bytes         bigint NOT NULL,
    accepted      boolean NOT NULL,
    rows          int NOT NULL,
    inserted      int NOT NULL,
    updated       int NOT NULL,
    deleted       int NOT NULL,
    errors        int NOT NULL,
    report        jsonb NOT NULL,  -- the row errors (the first 1,000) or the reason the batch was unreadable
    first_seq     bigint,
    last_seq      bigint
);
CREATE INDEX table_batches_resource ON table_batches (resource_code, received_at);

-- A delivery to a subscriber is recorded like a gateway call, on its channel.
ALTER TABLE calls ADD COLUMN channel text NOT NULL DEFAULT 'gateway' CHECK (channel IN ('gateway', 'table', 'file'));
