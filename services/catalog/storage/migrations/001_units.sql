-- The unit directory (统一社会信用代码 as the key); every change is also a registry.unit-registered event.
CREATE TABLE units (
    uscc              text PRIMARY KEY,
    name              text NOT NULL,
    kind              text NOT NULL CHECK (kind IN ('department', 'city', 'county')),
    division_code     text NOT NULL,
    parent_unit       text REFERENCES units (uscc),
    absent_indicators text[] NOT NULL DEFAULT '{}',
    registered_at     timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX units_parent ON units (parent_unit);
