-- Subscriptions with a life (domain/subscriptions.py): a term and a quota granted with the approval, expiry,
-- renewal, revocation, suspension; calling systems with their own keys; quota counters per subscription and
-- window; quota refusals kept in the call record (they never reached the provider: not its failures).
ALTER TABLE requests DROP CONSTRAINT requests_status_check;
ALTER TABLE requests ADD CONSTRAINT requests_status_check CHECK (status IN (
    'submitted', 'returned', 'forwarded', 'approved', 'rejected', 'active', 'closed', 'refused',
    'suspended', 'revoked', 'expired'));
ALTER TABLE requests
    ADD COLUMN valid_days int CHECK (valid_days > 0),
    ADD COLUMN expires_at timestamptz,
    ADD COLUMN quota_per_minute int CHECK (quota_per_minute > 0),
    ADD COLUMN quota_per_day int CHECK (quota_per_day > 0),
    ADD COLUMN ended_at timestamptz,
    ADD COLUMN ended_by text CHECK (ended_by IN ('provider', 'bureau', 'clock')),
    ADD COLUMN end_reason text,
    ADD COLUMN suspended_at timestamptz,
    ADD COLUMN suspended_reason text,
    ADD COLUMN renewal_asked_at timestamptz;
CREATE INDEX requests_expiring ON requests (expires_at) WHERE status IN ('active', 'suspended');
CREATE INDEX requests_subscriber ON requests (requester, resource_code) WHERE status = 'active';

-- A subscriber's calling systems (X-Road's subsystems): each with its own key. Only the SHA-256 of a key is
-- kept (a key is 256 random bits: no salt or slow hash is needed); it is shown once, when made or rotated.
CREATE TABLE systems (
    id          text PRIMARY KEY,
    unit        text NOT NULL,
    name        text NOT NULL,
    key_hash    bytea NOT NULL UNIQUE,
    key_hint    text NOT NULL,
    created_at  timestamptz NOT NULL,
    rotated_at  timestamptz,
    revoked_at  timestamptz,
    UNIQUE (unit, name)
);

CREATE TABLE quota_counts (
    request_id  text NOT NULL,
    span        text NOT NULL CHECK (span IN ('minute', 'day')),
    start       timestamptz NOT NULL,
    calls       int NOT NULL,
    PRIMARY KEY (request_id, span, start)
);

ALTER TABLE calls
    ADD COLUMN system_id text,
    ADD COLUMN refused text CHECK (refused IN ('quota'));
