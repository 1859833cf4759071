-- Findings can be listed with what they said and withdrawn with a reason (the event scoring.finding-retracted).
ALTER TABLE findings ADD COLUMN attributed_unit text;
ALTER TABLE findings ADD COLUMN note text NOT NULL DEFAULT '';
ALTER TABLE findings ADD COLUMN count integer;
ALTER TABLE findings ADD COLUMN retracted_at timestamptz;
ALTER TABLE findings ADD COLUMN retracted_by text;
ALTER TABLE findings ADD COLUMN retract_reason text;
CREATE INDEX findings_by_unit ON findings (unit, occurred_at);
