-- File exchange (domain/files.py): each version a provider uploaded of a file resource. The bytes are in the
-- content-addressed store under `sha256`; a version row is written only after they are durable there.
CREATE TABLE file_versions (
    id            text PRIMARY KEY,
    resource_code text NOT NULL,
    version       int NOT NULL CHECK (version > 0),
    sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size          bigint NOT NULL CHECK (size > 0),
    name          text NOT NULL,
    media_type    text NOT NULL,
    provider      text NOT NULL,
    uploaded_at   timestamptz NOT NULL,
    UNIQUE (resource_code, version)
);
