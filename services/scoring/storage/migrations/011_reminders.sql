-- Reminders sent before submission deadlines: one per unit, requirement and period. Each is also an
-- alert (points_added 0), delivered like the deduction alerts to the unit's stream and webhooks.
CREATE TABLE reminders (
    reminder_id  text PRIMARY KEY,
    event_id     uuid NOT NULL REFERENCES alerts (event_id),
    unit         text NOT NULL,
    remind_at    timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
