-- How the exchange's consumers use each resource, as its events said (the catalog portal shows it): who holds a
-- subscription (requested, approved, not ended) and how they rated it. Events of different topics arrive in any
-- order, so each fact is kept by its own column and the latest step by its event time.
CREATE TABLE usage_requests (
    request_id     text PRIMARY KEY,
    resource_code  text,
    requester      text,
    approved_at    timestamptz,
    ended          boolean NOT NULL DEFAULT false,
    step_at        timestamptz  -- the instant of the subscription step `ended` follows
);
CREATE INDEX usage_requests_code ON usage_requests (resource_code) WHERE approved_at IS NOT NULL;

CREATE TABLE usage_ratings (
    resource_code  text NOT NULL,
    consumer       text NOT NULL,
    quality        smallint NOT NULL,
    timeliness     smallint NOT NULL,
    usefulness     smallint NOT NULL,
    comment        text,
    rated_at       timestamptz NOT NULL,
    PRIMARY KEY (resource_code, consumer)
);
