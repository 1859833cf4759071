-- Findings recorded through this service (their events go out through the outbox); ids are unique.
CREATE TABLE findings (
    finding_id  text PRIMARY KEY,
    event_id    uuid NOT NULL UNIQUE,
    unit        text NOT NULL,
    item        text NOT NULL,
    effect      text NOT NULL,
    inspector   text NOT NULL,
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
