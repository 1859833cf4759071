"""Kafka consumers of the elicense service (events in); events out go through the outbox."""

from hubkit.service import ConsumerSpec

consumers: list[ConsumerSpec] = []
