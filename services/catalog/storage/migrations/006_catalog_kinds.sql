-- Base and theme catalogs (seed 003 §5.3.1): a unit's codes are numbered per catalog kind and item (类, 项), so
-- a department resource and a base resource of the same unit may share a serial; the code stays the key.
ALTER TABLE resources DROP CONSTRAINT resources_provider_division_code_serial_key;
CREATE INDEX resources_serials ON resources (provider, division_code, left(code, 6), serial);
CREATE INDEX resources_related ON resources USING gin ((metadata -> 'related_codes'));
