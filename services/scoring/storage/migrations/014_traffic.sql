-- The exchange's traffic per provider and window of its clock (exchange.traffic-counted), for the
-- operators' dashboard: a successful call is no event of its own, so this is how calls reach it.
CREATE TABLE traffic (
    provider       text NOT NULL,
    window_start   timestamptz NOT NULL,
    window_seconds int NOT NULL,
    calls          int NOT NULL,
    failed         int NOT NULL,
    timeouts       int NOT NULL,
    unavailable    int NOT NULL,
    server_errors  int NOT NULL,
    bad_responses  int NOT NULL,
    p50_ms         double precision NOT NULL,
    p95_ms         double precision NOT NULL,
    p99_ms         double precision NOT NULL,
    response_bytes bigint NOT NULL,
    PRIMARY KEY (provider, window_start)
);
CREATE INDEX traffic_window ON traffic (window_start);
