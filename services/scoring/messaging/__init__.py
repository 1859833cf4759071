"""Kafka consumers of the scoring service (events in) besides the live projection (messaging/projector.py);
events out go through the outbox."""

from hubkit.service import ConsumerSpec

from scoring.messaging import anomaly_alerts, traffic

consumers: list[ConsumerSpec] = [
    ConsumerSpec(name="anomaly-alerts", topics=anomaly_alerts.TOPICS, handler=anomaly_alerts.apply),
    ConsumerSpec(name="traffic", topics=traffic.TOPICS, handler=traffic.apply),
]
