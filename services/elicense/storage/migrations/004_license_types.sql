-- The license-type registry above the shipped reference list (domain/license_types.py): types the bureau
-- registered, each version of a type's field list, and the proposals it reviews.
CREATE TABLE license_type_versions (
    code           text NOT NULL,
    version        integer NOT NULL CHECK (version >= 1),
    name           text NOT NULL,
    sector         text NOT NULL,
    holder_kind    text NOT NULL CHECK (holder_kind IN ('person', 'organisation', 'either')),
    fields         jsonb NOT NULL DEFAULT '[]'::jsonb,
    proposal_id    text NOT NULL,
    registered_at  timestamptz NOT NULL,
    registered_by  text NOT NULL,
    PRIMARY KEY (code, version)
);

CREATE TABLE license_type_proposals (
    proposal_id   text PRIMARY KEY,
    proposer      text NOT NULL,                          -- the department that issues the type
    change_of     text,                                   -- NULL: a new type; else the code whose fields change
    name          text NOT NULL,
    sector        text NOT NULL,
    holder_kind   text NOT NULL CHECK (holder_kind IN ('person', 'organisation', 'either')),
    fields        jsonb NOT NULL DEFAULT '[]'::jsonb,
    status        text NOT NULL CHECK (status IN ('proposed', 'registered', 'returned')),
    proposed_at   timestamptz NOT NULL,
    proposed_by   text NOT NULL,
    due_at        timestamptz NOT NULL,                   -- the bureau's review deadline (working days)
    reviewed_at   timestamptz,
    reviewed_by   text,
    reason        text,                                   -- why returned
    field_reasons jsonb NOT NULL DEFAULT '{}'::jsonb,      -- why returned, per field
    code          text,                                   -- once registered
    version       integer,
    rounds        integer NOT NULL DEFAULT 1              -- resubmissions after a return, plus one
);
CREATE INDEX license_type_proposals_queue ON license_type_proposals (status, due_at);
-- one open proposal per type change at a time
CREATE UNIQUE INDEX license_type_proposals_open_change ON license_type_proposals (change_of)
    WHERE status = 'proposed' AND change_of IS NOT NULL;

-- A license keeps the fields of its type it carries (照面信息) and the type version it was checked against.
ALTER TABLE licenses ADD COLUMN fields jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE licenses ADD COLUMN type_version integer NOT NULL DEFAULT 1;
