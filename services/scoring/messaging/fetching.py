"""How the live projection takes its next batch from the broker."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from hubkit.kafka import make_consumer, record_fetch
from hubkit.settings import HubSettings


def projection_consumer(settings: HubSettings, max_batch: int) -> AIOKafkaConsumer:
    return make_consumer(
        settings,
        group_id=None,  # offsets live in our own database, so no group coordination is needed
        max_poll_records=max_batch,
        fetch_max_bytes=16 * 1024 * 1024,
        max_partition_fetch_bytes=4 * 1024 * 1024,
        fetch_max_wait_ms=20,  # an alert must not wait for a fuller fetch
    )


async def next_batch(consumer: AIOKafkaConsumer, max_batch: int, name: str) -> list[ConsumerRecord]:
    """Wait briefly for events, then take whatever else is already fetched, up to `max_batch`.

    Scores are re-evaluated once per batch, so under load bigger batches mean fewer evaluations per event; when
    idle a lone event still goes through at once. `name`: the consumer's, for the fetch metrics.
    """
    batch = await consumer.getmany(timeout_ms=100, max_records=max_batch)
    record_fetch(name, batch)
    messages = [m for records in batch.values() for m in records]
    while messages and len(messages) < max_batch:
        more = await consumer.getmany(timeout_ms=0, max_records=max_batch - len(messages))
        if not more:
            break
        record_fetch(name, more)
        messages += [m for records in more.values() for m in records]
    return messages
