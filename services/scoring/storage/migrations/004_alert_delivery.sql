-- Alerts reach departments in order: `seq` is the SSE event id a department's stream resumes from.
ALTER TABLE alerts ADD COLUMN seq bigserial;
CREATE UNIQUE INDEX alerts_seq ON alerts (seq);

-- A department's webhook: alerts are POSTed there, signed with the secret (HMAC-SHA256).
CREATE TABLE webhooks (
    id          bigserial PRIMARY KEY,
    unit        text NOT NULL,
    url         text NOT NULL,
    secret      text NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (unit, url)
);

-- One delivery per alert and webhook, retried with backoff until delivered or dead.
CREATE TABLE deliveries (
    id               bigserial PRIMARY KEY,
    alert_id         uuid NOT NULL REFERENCES alerts (event_id),
    webhook_id       bigint NOT NULL REFERENCES webhooks (id),
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts         int NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now(),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    last_error       text,
    UNIQUE (alert_id, webhook_id)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';

CREATE TABLE delivery_attempts (
    delivery_id  bigint NOT NULL REFERENCES deliveries (id),
    attempt      int NOT NULL,
    at           timestamptz NOT NULL,
    duration_ms  int NOT NULL,
    status_code  int,
    error        text,
    PRIMARY KEY (delivery_id, attempt)
);
