-- Demand for data not yet in the catalog (domain/demands.py) and consumers' ratings of the data they used.
CREATE TABLE demands (
    id                 text PRIMARY KEY,
    requester          text NOT NULL,
    what               text NOT NULL,
    why                text NOT NULL,
    suggested_provider text,
    status             text NOT NULL CHECK (status IN ('raised', 'assigned', 'fulfilled', 'refused', 'rejected')),
    raised_at          timestamptz NOT NULL,
    provider           text,
    due                timestamptz,
    assigned_at        timestamptz,
    answered_at        timestamptz,
    resource_code      text,
    reason             text,
    request_id         text,
    overdue_at         timestamptz
);
CREATE INDEX demands_requester ON demands (requester, raised_at);
CREATE INDEX demands_provider ON demands (provider, status);
CREATE INDEX demands_due ON demands (due) WHERE status = 'assigned' AND overdue_at IS NULL;

-- One rating per consumer and resource (a later one replaces it); scores 1 to 5.
CREATE TABLE ratings (
    resource_code  text NOT NULL,
    consumer       text NOT NULL,
    provider       text NOT NULL,
    quality        smallint NOT NULL CHECK (quality BETWEEN 1 AND 5),
    timeliness     smallint NOT NULL CHECK (timeliness BETWEEN 1 AND 5),
    usefulness     smallint NOT NULL CHECK (usefulness BETWEEN 1 AND 5),
    comment        text,
    rated_at       timestamptz NOT NULL,
    PRIMARY KEY (resource_code, consumer)
);
CREATE INDEX ratings_provider ON ratings (provider);
