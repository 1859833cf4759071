-- Service items and the license types each accepts in place of paper (domain/service_items.py).
CREATE TABLE service_items (
    code           text PRIMARY KEY,
    name           text NOT NULL,
    handling_unit  text NOT NULL,
    accepts        jsonb NOT NULL,       -- [{license_type, materials: [...]}]
    version        integer NOT NULL,
    updated_at     timestamptz NOT NULL,
    updated_by     text NOT NULL
);

-- A use names the listed item (NULL: a free-text item of a window not on the list yet) and what it waived.
ALTER TABLE uses ADD COLUMN item_code text REFERENCES service_items (code);
ALTER TABLE uses ADD COLUMN materials text[] NOT NULL DEFAULT '{}';
CREATE INDEX uses_item ON uses (item_code) WHERE item_code IS NOT NULL;
