"""Kafka consumers of the catalog service (events in); events out go through the outbox."""

from hubkit.service import ConsumerSpec

from catalog.messaging import deliveries

consumers: list[ConsumerSpec] = [ConsumerSpec(name="deliveries", topics=deliveries.TOPICS, handler=deliveries.apply)]
