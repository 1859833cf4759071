-- Quality disputes as seed 003 §22(五) has them: raised whenever the consumer finds a problem (within 2
-- working days of finding it, or marked late), with the records concerned; the provider answers within 3
-- working days and, when the data was wrong, completes the update; a missed answer is an event once.
ALTER TABLE disputes ADD COLUMN found_at timestamptz;
ALTER TABLE disputes ADD COLUMN reported_late boolean NOT NULL DEFAULT false;
ALTER TABLE disputes ADD COLUMN records jsonb NOT NULL DEFAULT '[]';
ALTER TABLE disputes ADD COLUMN correction text;
ALTER TABLE disputes ADD COLUMN overdue_at timestamptz;
CREATE INDEX disputes_open ON disputes (answer_due) WHERE status = 'open' AND overdue_at IS NULL;
