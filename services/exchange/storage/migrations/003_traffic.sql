-- The windows of the exchange's clock whose traffic was counted (exchange.traffic-counted): a window is
-- counted once, in the transaction that writes its events to the outbox.
CREATE TABLE traffic_windows (
    window_start timestamptz PRIMARY KEY,
    counted_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX calls_started ON calls (started_at);
