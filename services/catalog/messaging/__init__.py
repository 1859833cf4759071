"""Kafka consumers of the catalog service (events in); events out go through the outbox."""

from hubkit.service import ConsumerSpec

from catalog.messaging import deliveries, usage

consumers: list[ConsumerSpec] = [ConsumerSpec(name="deliveries", topics=deliveries.TOPICS, handler=deliveries.apply),
                                 ConsumerSpec(name="usage", topics=usage.TOPICS, handler=usage.apply)]
