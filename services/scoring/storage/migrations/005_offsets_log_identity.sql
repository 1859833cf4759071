-- An offset means something only in the log it was read from: keep the broker's cluster id and a
-- fingerprint of the record before the offset, so a new log (a broker that lost its data) is detected.
ALTER TABLE offsets ADD COLUMN cluster_id text;
ALTER TABLE offsets ADD COLUMN last_digest bytea;
