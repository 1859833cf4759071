-- The exchange's own view of the catalog, built from catalog events (no synchronous calls to it).
CREATE TABLE resources (
    code          text PRIMARY KEY,
    provider      text NOT NULL,
    name          text NOT NULL,
    share_type    text NOT NULL,
    share_condition text,
    share_basis   text,
    data_kind     text NOT NULL CHECK (data_kind IN ('government', 'supervision')),
    mount_kind    text,
    published_at  timestamptz NOT NULL
);

-- Access requests and their workflow; an active request is the consumer's subscription.
CREATE TABLE requests (
    id            text PRIMARY KEY,
    requester     text NOT NULL,
    provider      text NOT NULL,
    resource_code text NOT NULL REFERENCES resources (code),
    data_kind     text NOT NULL,
    purpose       text NOT NULL,
    status        text NOT NULL CHECK (status IN ('submitted', 'returned', 'forwarded', 'approved', 'rejected',
                                                  'active', 'closed', 'refused')),
    submitted_at  timestamptz NOT NULL,
    review_due    timestamptz,
    forwarded_at  timestamptz,
    provider_due  timestamptz,
    decided_at    timestamptz,
    reason        text,
    reply_due     timestamptz,
    replied_at    timestamptz,
    activated_at  timestamptz,
    overdue_at    timestamptz
);
CREATE INDEX requests_requester ON requests (requester, status);
CREATE INDEX requests_provider ON requests (provider, status);
CREATE INDEX requests_due ON requests (provider_due) WHERE status = 'forwarded' AND overdue_at IS NULL;

CREATE TABLE endpoints (
    resource_code text PRIMARY KEY REFERENCES resources (code),
    base_url      text NOT NULL,
    timeout_ms    int NOT NULL DEFAULT 5000
);

-- The operational record of every call (in the spirit of X-Road's operational monitoring).
CREATE TABLE calls (
    id             text PRIMARY KEY,
    consumer       text NOT NULL,
    provider       text NOT NULL,
    resource_code  text NOT NULL,
    started_at     timestamptz NOT NULL,
    ended_at       timestamptz NOT NULL,
    duration_ms    double precision NOT NULL,
    status_code    int,
    request_bytes  bigint NOT NULL DEFAULT 0,
    response_bytes bigint NOT NULL DEFAULT 0,
    succeeded      boolean NOT NULL,
    error          text CHECK (error IN ('timeout', 'unavailable', 'server_error', 'bad_response')),
    reported       boolean NOT NULL DEFAULT false
);
CREATE INDEX calls_provider ON calls (provider, started_at);

CREATE TABLE disputes (
    id             text PRIMARY KEY,
    consumer       text NOT NULL,
    provider       text NOT NULL,
    resource_code  text NOT NULL,
    data_kind      text NOT NULL,
    description    text NOT NULL,
    raised_at      timestamptz NOT NULL,
    answer_due     timestamptz NOT NULL,
    status         text NOT NULL CHECK (status IN ('open', 'upheld', 'dismissed')),
    answer         text,
    answered_at    timestamptz
);

CREATE TABLE data_uses (
    id             bigserial PRIMARY KEY,
    consumer       text NOT NULL,
    resource_code  text NOT NULL,
    purpose        text NOT NULL,
    note           text,
    used_at        timestamptz NOT NULL
);
