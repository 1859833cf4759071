"""Kafka consumers of the exchange service (events in); events out go through the outbox."""

from hubkit.service import ConsumerSpec

from exchange.messaging import catalog_feed

consumers: list[ConsumerSpec] = [ConsumerSpec(name="catalog-feed", topics=catalog_feed.TOPICS,
                                              handler=catalog_feed.apply)]
