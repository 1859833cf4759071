"""Messages sent in one batch per partition land where `producer.send` puts them, all of them, in the order given,
also when a batch fills up and after the topic gained partitions."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions
from aiokafka.partitioner import murmur2
from hubkit.kafka import ensure_topics
from hubkit.partition_batches import Message, Partitions, send_batched

pytestmark = pytest.mark.integration


def murmur_partition(key: bytes, partitions: int) -> int:
    """Kafka's default partitioner for a keyed message (what every client computes)."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


@asynccontextmanager
async def producer_to(bootstrap: str, **options: object) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", **options)  # type: ignore[arg-type]
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


async def read_all(bootstrap: str, topic: str, expect: int) -> list[tuple[int, bytes, bytes]]:
    """(partition, key, value) of every message of the topic, each partition in its order."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        if not parts:
            await consumer._client.force_metadata_update()
            parts = consumer.partitions_for_topic(topic) or set()
        consumer.assign([TopicPartition(topic, p) for p in parts])
        await consumer.seek_to_beginning()
        found: list[tuple[int, bytes, bytes]] = []
        for _ in range(100):
            if len(found) >= expect:
                break
            batch = await consumer.getmany(timeout_ms=200)
            for tp, records in batch.items():
                found += [(tp.partition, r.key or b"", r.value or b"") for r in records]
        return found
    finally:
        await consumer.stop()


async def send(producer: AIOKafkaProducer, partitions: Partitions, messages: list[Message]) -> None:
    for _, _, future in await send_batched(producer, partitions, messages):
        await future


async def test_each_key_lands_on_the_partition_the_default_partitioner_gives_it_in_the_order_sent(
        kafka_bootstrap: str) -> None:
    topic = f"test.batches.{uuid.uuid4().hex}"
    await ensure_topics(kafka_bootstrap, [topic], partitions=6)
    keys = [f"1145{i:014d}".encode() for i in range(60)]
    messages: list[Message] = [(topic, keys[n % 60], str(n).encode(), [("n", str(n).encode())]) for n in range(600)]
    async with producer_to(kafka_bootstrap) as producer:
        await send(producer, Partitions(producer), messages)
    found = await read_all(kafka_bootstrap, topic, 600)
    assert len(found) == 600
    assert {murmur_partition(k, 6) for k in keys} == set(range(6))  # the keys spread over every partition
    for partition, key, _ in found:
        assert partition == murmur_partition(key, 6)
    for p in range(6):  # every partition holds its messages in the order they were given
        ns = [int(v) for q, _, v in found if q == p]
        assert ns == sorted(ns)


async def test_messages_beyond_a_full_batch_go_in_the_next_one_and_none_is_lost(kafka_bootstrap: str) -> None:
    topic = f"test.batches.{uuid.uuid4().hex}"
    await ensure_topics(kafka_bootstrap, [topic], partitions=3)
    big = b"x" * 1000
    messages: list[Message] = [(topic, b"one key", b"%05d" % n + big, []) for n in range(300)]
    async with producer_to(kafka_bootstrap, max_batch_size=16 * 1024) as producer:
        queued = await send_batched(producer, Partitions(producer), messages)
        assert len(queued) > 10 and sum(count for _, count, _ in queued) == 300  # ~15 messages a batch
        for *_, future in queued:
            await future
    found = await read_all(kafka_bootstrap, topic, 300)
    assert [int(v[:5]) for _, _, v in found] == list(range(300))


async def test_a_topic_that_gained_partitions_gets_its_keys_placed_anew(kafka_bootstrap: str) -> None:
    topic = f"test.batches.{uuid.uuid4().hex}"
    await ensure_topics(kafka_bootstrap, [topic], partitions=2)
    keys = [f"1145{i:014d}".encode() for i in range(40)]
    moved = [k for k in keys if murmur_partition(k, 2) != murmur_partition(k, 6)]
    assert moved
    async with producer_to(kafka_bootstrap) as producer:
        partitions = Partitions(producer)
        await send(producer, partitions, [(topic, k, b"before", []) for k in keys])
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
        await admin.start()
        try:
            await admin.create_partitions({topic: NewPartitions(total_count=6)})
        finally:
            await admin.close()
        for _ in range(50):
            await producer.client.force_metadata_update()
            if len(await producer.partitions_for(topic)) == 6:
                break
        await send(producer, partitions, [(topic, k, b"after", []) for k in keys])
    found = await read_all(kafka_bootstrap, topic, 80)
    after = {key: partition for partition, key, value in found if value == b"after"}
    assert len(after) == 40
    assert all(after[k] == murmur_partition(k, 6) for k in keys)
