-- The data-resource catalog. `resources` holds the current state; `resource_versions` every
-- metadata version with the instant it took effect, and `resource_history` every publication,
-- mount, unmount and update, so the catalog can be read as of any past instant.
CREATE TABLE resources (
    code            text PRIMARY KEY,
    provider        text NOT NULL REFERENCES units (uscc),
    division_code   text NOT NULL,
    serial          integer NOT NULL,
    status          text NOT NULL CHECK (status IN ('draft', 'published')),
    version         integer NOT NULL,
    metadata        jsonb NOT NULL,
    created_at      timestamptz NOT NULL,
    published_at    timestamptz,
    mount_kind      text CHECK (mount_kind IN ('table', 'file', 'api')),
    mount_access    jsonb,
    mounted_at      timestamptz,
    last_update_at  timestamptz,
    last_records    bigint,
    search_text     text NOT NULL,
    UNIQUE (provider, division_code, serial)
);
CREATE INDEX resources_provider ON resources (provider);
CREATE INDEX resources_published ON resources (status, (metadata ->> 'share_type'), (metadata ->> 'update_cycle'));

CREATE TABLE resource_versions (
    code        text NOT NULL REFERENCES resources (code),
    version     integer NOT NULL,
    valid_from  timestamptz NOT NULL,
    metadata    jsonb NOT NULL,
    changed     text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (code, version)
);

CREATE TABLE resource_history (
    id      bigserial PRIMARY KEY,
    code    text NOT NULL REFERENCES resources (code),
    at      timestamptz NOT NULL,
    action  text NOT NULL CHECK (action IN ('published', 'mounted', 'unmounted', 'updated')),
    detail  jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX resource_history_code ON resource_history (code, at);

-- A batch is assigned to many units; each unit's part is its own row (and its own event).
CREATE TABLE requirements (
    batch_id     text NOT NULL,
    unit         text NOT NULL REFERENCES units (uscc),
    batch_kind   text NOT NULL,
    title        text NOT NULL DEFAULT '',
    deadline     date NOT NULL,
    codes        text[] NOT NULL,
    assigned_at  timestamptz NOT NULL,
    PRIMARY KEY (batch_id, unit)
);
