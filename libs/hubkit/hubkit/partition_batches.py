"""Many messages sent as one producer batch per partition (`AIOKafkaProducer.send_batch`), not one `send` each.

A relay pass sends hundreds of rows. `producer.send` costs ~24 µs a message (a future, the partitioner's murmur2 of
the key, the accumulator's bookkeeping); appended to a batch builder a message costs a few. Each message goes to the
partition `send` would have chosen (the producer's own partitioner: consumers and the scoring shards rely on a unit's
events sharing a partition), and a partition's messages are appended, and their batches submitted, in the order
given, so each partition keeps the write order. A key's partition is remembered while its topic's partitions stay
the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer

Message = tuple[str, bytes | None, bytes, list[tuple[str, bytes]]]  # topic, key, value, headers
MAX_REMEMBERED = 100_000  # keys per topic (a province has thousands of units)


class Partitions:
    """The partition the producer's partitioner gives a key, remembered per topic."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer
        self._known: dict[str, tuple[set[int], dict[bytes, int]]] = {}

    async def of_topic(self, topic: str) -> dict[bytes, int]:
        """The remembered partitions of the topic's keys, forgotten when its partitions changed."""
        parts = await self.producer.partitions_for(topic)  # waits for the topic's metadata
        known = self._known.get(topic)
        if known is None or known[0] != parts or len(known[1]) > MAX_REMEMBERED:
            known = self._known[topic] = (set(parts), {})
        return known[1]

    def choose(self, topic: str, key: bytes | None) -> int:
        # the partition `send` would choose (no public API gives it for a key)
        return int(self.producer._partition(topic, None, key, None, key, None))


async def send_batched(producer: AIOKafkaProducer, partitions: Partitions, messages: Sequence[Message]
                       ) -> list[tuple[str, int, asyncio.Future[Any]]]:
    """Queue the messages in batches; per batch its topic, its number of messages and its delivery future."""
    remembered = {topic: await partitions.of_topic(topic) for topic in {m[0] for m in messages}}
    open_: dict[tuple[str, int], list[Any]] = {}  # (topic, partition) -> its batches, each [builder, count]
    for topic, key, value, headers in messages:
        known = remembered[topic]
        partition = known.get(key) if key is not None else None
        if partition is None:
            partition = partitions.choose(topic, key)
            if key is not None:
                known[key] = partition
        batches = open_.get((topic, partition))
        if batches is None:
            batches = open_[(topic, partition)] = [[producer.create_batch(), 0]]
        last = batches[-1]
        if last[0].append(timestamp=None, key=key, value=value, headers=headers) is None:
            last = [producer.create_batch(), 0]  # full: the first message of a batch always fits
            last[0].append(timestamp=None, key=key, value=value, headers=headers)
            batches.append(last)
        last[1] += 1
    queued = []
    for (topic, partition), batches in open_.items():
        for builder, count in batches:
            queued.append((topic, count, await producer.send_batch(builder, topic, partition=partition)))
    return queued
