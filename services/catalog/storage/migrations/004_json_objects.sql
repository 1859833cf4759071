-- JSON written as a str into a jsonb parameter was stored as a JSON string holding the document (the pool's
-- codec encodes whatever it is given): `metadata ->> 'share_type'` found nothing, so search filters and as-of
-- mount kinds silently matched nothing. Unwrap what was stored that way; writes now cast text to jsonb.
UPDATE resources SET metadata = (metadata #>> '{}')::jsonb WHERE jsonb_typeof(metadata) = 'string';
UPDATE resources SET mount_access = (mount_access #>> '{}')::jsonb WHERE jsonb_typeof(mount_access) = 'string';
UPDATE resource_versions SET metadata = (metadata #>> '{}')::jsonb WHERE jsonb_typeof(metadata) = 'string';
UPDATE resource_history SET detail = (detail #>> '{}')::jsonb WHERE jsonb_typeof(detail) = 'string';
