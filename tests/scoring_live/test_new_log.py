"""A broker that comes back with a new log: nothing published to it after the restart is skipped.

The reported failure: scoring stored next_offset = 1, the restarted broker was empty, the next
event landed at offset 0 and the projection sought past it, forever. These tests run on a broker
of the test's own (the run's kind: Apache Kafka, whose data directory is removed, or Tansu,
whose memory log is lost at every stop), with the scoring service stopped and while it runs.
"""

import asyncio
from pathlib import Path

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from hubkit.kafka import ensure_topics
from hubkit.logident import StoredPosition, position_problem
from hubkit.runtime.ports import free_port
from hubkit.testing import own_broker, running_app
from scoring.bootstrap import create_app
from scoring.messaging.projector import FACT_TOPICS
from scoring.settings import ScoringSettings

from tests.scoring_live.test_live_projection import failed_call, publish, registered, unique_unit, wait_score

pytestmark = pytest.mark.integration


def test_a_position_is_trusted_only_in_its_own_log() -> None:
    stored = StoredPosition(5, "c1", b"x" * 16)
    assert position_problem(stored, "c1", 0, 5) is None
    assert position_problem(stored, "c1", 0, 9) is None
    assert position_problem(stored, "c2", 0, 9) == "new cluster"
    assert position_problem(stored, "c1", 0, 1) == "offset beyond the end of the log"
    assert position_problem(StoredPosition(5, None, None), "c1", 0, 9) == "cluster unknown"


async def archived(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM scoring.archive"))
    finally:
        await conn.close()


async def test_a_finding_published_after_the_broker_lost_its_log_is_scored(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    broker = own_broker(tmp_path, port)
    settings = ScoringSettings(database_url=database_url, kafka_bootstrap=f"127.0.0.1:{port}",
                               outbox_poll_seconds=0.1)
    provider, consumer = unique_unit(), unique_unit()
    broker.start()
    try:
        await ensure_topics(broker.bootstrap, partitions=1)
        await publish(broker.bootstrap, [registered(provider, "自治区测试厅"), registered(consumer, "自治区用数厅"),
                                         failed_call(provider, consumer, 5), failed_call(provider, consumer, 6)])
        async with running_app(create_app(settings)):
            await wait_score(database_url, provider, "96.00")
        # The broker loses everything; the next two events land at offsets 0 and 1 of a new log, while
        # the stored offset of that partition is 2: seeking to it would skip both, silently.
        broker.stop()
        broker.lose_log()
        broker.start()
        await ensure_topics(broker.bootstrap, partitions=1)
        await publish(broker.bootstrap, [failed_call(provider, consumer, 7), failed_call(provider, consumer, 8)])
        async with running_app(create_app(settings)):
            await wait_score(database_url, provider, "92.00", timeout=20)
        assert await archived(database_url) == 6
    finally:
        broker.stop()


async def test_a_new_log_while_scoring_runs_is_read_from_its_beginning(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    broker = own_broker(tmp_path, port)
    settings = ScoringSettings(database_url=database_url, kafka_bootstrap=f"127.0.0.1:{port}",
                               outbox_poll_seconds=0.1)
    provider, consumer = unique_unit(), unique_unit()
    broker.start()
    try:
        await ensure_topics(broker.bootstrap, partitions=1)
        first = [registered(provider, "自治区测试厅"), registered(consumer, "自治区用数厅"),
                 failed_call(provider, consumer, 5), failed_call(provider, consumer, 6)]
        await publish(broker.bootstrap, first)
        async with running_app(create_app(settings)):
            await wait_score(database_url, provider, "96.00")
            broker.stop()
            broker.lose_log()
            broker.start()
            await ensure_topics(broker.bootstrap, partitions=1)
            # Two new failures at offsets 0 and 1 (the projection's position in that partition is 2),
            # then the old events again, as a relay re-seeding the new log would send them.
            await publish(broker.bootstrap, [failed_call(provider, consumer, 7), failed_call(provider, consumer, 8)])
            await wait_score(database_url, provider, "92.00", timeout=30)
            await publish(broker.bootstrap, first)
            await asyncio.sleep(1.0)
            await wait_score(database_url, provider, "92.00")
        assert await archived(database_url) == 6  # the re-seeded copies were recognised
    finally:
        broker.stop()


async def test_a_topic_created_again_is_read_from_its_beginning(database_url: str, tmp_path: Path) -> None:
    """Same cluster, same offsets reachable, another log: only the record before the offset tells."""
    port = free_port()
    broker = own_broker(tmp_path, port)
    settings = ScoringSettings(database_url=database_url, kafka_bootstrap=f"127.0.0.1:{port}",
                               outbox_poll_seconds=0.1)
    provider, consumer = unique_unit(), unique_unit()
    broker.start()
    try:
        await ensure_topics(broker.bootstrap, partitions=1)
        await publish(broker.bootstrap, [registered(provider, "自治区测试厅"), registered(consumer, "自治区用数厅"),
                                         failed_call(provider, consumer, 5)])
        async with running_app(create_app(settings)):
            await wait_score(database_url, provider, "98.00")
        topic = next(t for t in FACT_TOPICS if t.endswith("call-failed.v1"))
        admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap)
        await admin.start()
        try:
            await admin.delete_topics([topic])
            await asyncio.sleep(1.0)
        finally:
            await admin.close()
        for _ in range(50):
            if await ensure_topics(broker.bootstrap, [topic], partitions=1) == []:
                break
            await asyncio.sleep(0.2)
        # Two new failures: the old offset (1) is inside the new log, at another record.
        await publish(broker.bootstrap, [failed_call(provider, consumer, 6), failed_call(provider, consumer, 7)])
        async with running_app(create_app(settings)):
            await wait_score(database_url, provider, "94.00", timeout=20)
    finally:
        broker.stop()
