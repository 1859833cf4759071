-- The trace an alert continues (W3C trace context of its "alert" span): its deliveries' webhook POSTs
-- are children of it, so one trace runs from the write that caused the deduction to the POST.
ALTER TABLE alerts ADD COLUMN trace_headers jsonb;
