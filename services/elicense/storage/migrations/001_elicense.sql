-- E-license library. Holder ids are never stored in clear: holder_hash is HMAC-SHA256 under the
-- service's key (lookup), holder_mask a display mask.

-- Each claim replaces the unit's previous one (elicense.types-claimed).
CREATE TABLE claims (
    unit            text PRIMARY KEY,
    license_types   text[] NOT NULL,
    stock           jsonb NOT NULL DEFAULT '{}'::jsonb,   -- declared count per type code
    declared_stock  bigint CHECK (declared_stock >= 0),   -- NULL: not declared
    claimed_at      timestamptz NOT NULL
);

-- Verified files, content-addressed: the bytes live in the blob store under their sha256.
CREATE TABLE files (
    sha256      text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    format      text NOT NULL CHECK (format IN ('pdf', 'ofd')),
    size        bigint NOT NULL,
    sealed      boolean NOT NULL,
    pages       integer,
    signatures  jsonb NOT NULL DEFAULT '[]'::jsonb,
    stored_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE licenses (
    license_id     text PRIMARY KEY,
    issuer         text NOT NULL,
    license_type   text NOT NULL,
    number         text NOT NULL,
    holder_name    text NOT NULL,
    holder_hash    bytea NOT NULL,
    holder_mask    text NOT NULL,
    issue_date     date NOT NULL,
    valid_from     date NOT NULL,
    valid_until    date,                                   -- NULL: no expiry (长期)
    authority      text NOT NULL,
    status         text NOT NULL CHECK (status IN ('valid', 'revoked')),   -- expiry is read from valid_until
    push_mode      text NOT NULL CHECK (push_mode IN ('stock', 'auto_incremental', 'manual')),
    file_sha256    text REFERENCES files (sha256),
    sealed         boolean NOT NULL DEFAULT false,
    fingerprint    bytea NOT NULL,                         -- hash of the structured fields: replays are no-ops
    pushed_at      timestamptz NOT NULL,                   -- event time of the first push
    updated_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoke_reason  text
);
CREATE INDEX licenses_number ON licenses (number);
CREATE INDEX licenses_holder ON licenses (holder_hash);
CREATE INDEX licenses_issuer ON licenses (issuer, license_type);

-- A license used in handling a service item (elicense.license-used).
CREATE TABLE uses (
    use_id            text PRIMARY KEY,
    license_id        text NOT NULL REFERENCES licenses (license_id),
    user_unit         text NOT NULL,
    item              text NOT NULL,
    waived_materials  integer NOT NULL CHECK (waived_materials >= 0),
    used_at           timestamptz NOT NULL
);
CREATE INDEX uses_license ON uses (license_id);
