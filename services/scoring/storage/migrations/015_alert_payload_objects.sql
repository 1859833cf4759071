-- Reminders and notices had their payload bound as a str to a jsonb parameter, which the pool's codec stored as
-- a JSON string holding the document; they are written as text cast to jsonb now. Unwrap the old ones.
UPDATE alerts SET payload = (payload #>> '{}')::jsonb WHERE jsonb_typeof(payload) = 'string';
