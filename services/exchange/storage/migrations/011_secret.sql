-- The catalog's secrecy attribute (涉密属性, seed 003 §5.1.2): another unit's secret resource is unknown to it.
ALTER TABLE resources ADD COLUMN secret boolean NOT NULL DEFAULT false;
