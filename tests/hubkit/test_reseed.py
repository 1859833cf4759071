"""Broker loss: the relay re-seeds a new log from its retained rows, group consumers read it again.

Runs on both brokers: Apache Kafka (its data directory removed while it is stopped) and Tansu
(memory storage: every stop loses the log). Consumers dedupe on envelope ids, so the events
re-published to the new log are applied once, and the event written after the loss arrives.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiokafka.errors import KafkaError
from contracts import Envelope
from hubkit import outbox
from hubkit.kafka import ensure_topics
from hubkit.logident import cluster_id
from hubkit.runtime.apache_kafka import find_java
from hubkit.runtime.broker import LocalBroker, local_broker
from hubkit.runtime.ports import free_port
from hubkit.settings import HubSettings
from hubkit.testing import read_topic

from tests.hubkit.test_messaging import TOPIC, Wiring, alpha_to_beta, event, wait_for

pytestmark = pytest.mark.integration
KINDS = ["tansu", *(["kafka"] if find_java() else [])]


@pytest.mark.parametrize("kind", KINDS)
async def test_a_lost_log_is_reseeded_and_nothing_is_applied_twice(database_url: str, tmp_path: Path,
                                                                    kind: str) -> None:
    port = free_port()
    broker = local_broker(kind, tmp_path, port)
    settings = HubSettings(database_url=database_url, kafka_bootstrap=f"127.0.0.1:{port}",
                           kafka_idempotent=kind == "kafka")
    broker.start()
    try:
        await ensure_topics(broker.bootstrap, [TOPIC], partitions=1)
        async with alpha_to_beta(settings, tmp_path) as wired:
            await lost_log_scenario(broker, wired)
    finally:
        broker.stop()


async def lost_log_scenario(broker: LocalBroker, wired: Wiring) -> None:
    alpha, beta, producer, relay = wired.alpha, wired.beta, wired.producer, wired.relay

    async def seen(env: Envelope) -> int:
        return int(await beta.fetchval("SELECT count(*) FROM seen WHERE event_id = $1", env.id))

    before = [event(1), event(2)]
    async with alpha.acquire() as conn, conn.transaction():
        await outbox.add(conn, "alpha", before)

    async def all_before_seen() -> bool:
        return all([await seen(e) == 1 for e in before])

    await wait_for(all_before_seen, timeout=30)
    first_cluster = await alpha.fetchval("SELECT cluster_id FROM relay_state")

    broker.stop()
    broker.lose_log()
    broker.start()
    await ensure_topics(broker.bootstrap, [TOPIC], partitions=1)
    after = event(3)
    async with alpha.acquire() as conn, conn.transaction():
        await outbox.add(conn, "alpha", after)

    async def after_seen() -> bool:
        return await seen(after) == 1

    await wait_for(after_seen, timeout=60)
    # The new log holds the retained events again (re-seeded) and the new one.
    values = await read_topic(broker.bootstrap, TOPIC, expect=3, timeout=20)
    assert {str(e.id) for e in [*before, after]} <= {v.decode().split('"id":"')[1][:36] for v in values}
    assert [await seen(e) for e in [*before, after]] == [1, 1, 1]
    state = await alpha.fetchrow("SELECT cluster_id, reseeded_rows FROM relay_state")
    assert state["cluster_id"] != first_cluster and state["reseeded_rows"] >= 2
    assert state["cluster_id"] == await cluster_id(producer.client)

    # Re-seeding again by hand (`hub reseed`) changes nothing for the consumer.
    assert await relay.reseed(state["cluster_id"], force=True) >= 3
    await asyncio.sleep(2.0)
    assert [await seen(e) for e in [*before, after]] == [1, 1, 1]


async def test_a_reseed_that_fails_because_the_topics_are_not_back_yet_is_retried(database_url: str,
                                                                                   tmp_path: Path) -> None:
    """The broker comes back with a new log but its topics are created only later (by `hub up`'s prepare,
    slower under load): the relay sees the new cluster, cannot publish, and must re-seed once it can.
    Before: the change was used up by the failed attempt and the retained events never reached the new log."""
    port = free_port()
    broker = local_broker("tansu", tmp_path, port)
    settings = HubSettings(database_url=database_url, kafka_bootstrap=f"127.0.0.1:{port}", kafka_idempotent=False)
    broker.start()
    try:
        await ensure_topics(broker.bootstrap, [TOPIC], partitions=1)
        async with alpha_to_beta(settings, tmp_path) as wired:
            before = [event(1), event(2)]
            async with wired.alpha.acquire() as conn, conn.transaction():
                await outbox.add(conn, "alpha", before)
            await read_topic(broker.bootstrap, TOPIC, expect=2, timeout=20)
            relay, send = wired.relay, wired.relay._send
            failed: list[int] = []

            async def not_yet(rows: Any) -> None:  # the first attempt on the new log fails, as without topics
                if not failed:
                    failed.append(len(rows))
                    raise KafkaError("topic not there yet")
                await send(rows)

            relay._send = not_yet  # type: ignore[method-assign]
            broker.stop()
            broker.lose_log()
            broker.start()
            await ensure_topics(broker.bootstrap, [TOPIC], partitions=1)
            await wait_for(lambda: _true(bool(failed)), timeout=30)
            values = await read_topic(broker.bootstrap, TOPIC, expect=2, timeout=30)
            assert {str(e.id) for e in before} <= {v.decode().split('"id":"')[1][:36] for v in values}
    finally:
        broker.stop()


async def _true(value: bool) -> bool:
    return value
