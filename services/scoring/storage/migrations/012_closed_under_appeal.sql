-- A month close freezes every unit's result; a result that counts a finding under appeal at the close
-- says so (the appeals' ids): it is final but for those appeals, whose outcome shows as an adjustment.
ALTER TABLE closed_results ADD COLUMN under_appeal text[] NOT NULL DEFAULT '{}';
