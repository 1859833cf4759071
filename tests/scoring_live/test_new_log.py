"""A broker that comes back with a new log: nothing published to it after the restart is skipped.

The reported failure: scoring stored next_offset = 1, the restarted broker was empty, the next
event landed at offset 0 and the projection sought past it, forever. These tests run on a broker
of the test's own (the run's kind: Apache Kafka, whose data directory is removed, or Tansu,
whose memory log is lost at every stop), with the scoring service stopped and while it runs.
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from contracts import Envelope
from hubkit.kafka import ensure_topics
from hubkit.logident import StoredPosition, position_problem
from hubkit.runtime.broker import LocalBroker
from hubkit.runtime.ports import free_port
from hubkit.testing import own_broker, running_app
from scoring.bootstrap import create_app
from scoring.messaging.positions import FACT_TOPICS
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


@dataclass
class World:
    """A broker of the test's own (one partition per topic), scoring settings for it, two units."""

    broker: LocalBroker
    settings: ScoringSettings
    provider: str
    consumer: str

    async def lose_log(self) -> None:
        self.broker.stop()
        self.broker.lose_log()
        self.broker.start()
        await ensure_topics(self.broker.bootstrap, partitions=1)

    def registrations(self) -> list[Envelope]:
        return [registered(self.provider, "自治区测试厅"), registered(self.consumer, "自治区用数厅")]

    def failure(self, day: int) -> Envelope:
        return failed_call(self.provider, self.consumer, day)


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[World]:
    port = free_port()
    broker = own_broker(tmp_path, port)
    settings = ScoringSettings(submissions="none", inventory="none", database_url=database_url,
                               kafka_bootstrap=f"127.0.0.1:{port}",
                               outbox_poll_seconds=0.1)
    broker.start()
    try:
        await ensure_topics(broker.bootstrap, partitions=1)
        yield World(broker, settings, unique_unit(), unique_unit())
    finally:
        broker.stop()


async def test_a_finding_published_after_the_broker_lost_its_log_is_scored(world: World, database_url: str) -> None:
    await publish(world.broker.bootstrap, [*world.registrations(), world.failure(5), world.failure(6)])
    async with running_app(create_app(world.settings)):
        await wait_score(database_url, world.provider, "96.00")
    # The broker loses everything; the next two events land at offsets 0 and 1 of a new log, while
    # the stored offset of that partition is 2: seeking to it would skip both, silently.
    await world.lose_log()
    await publish(world.broker.bootstrap, [world.failure(7), world.failure(8)])
    async with running_app(create_app(world.settings)):
        await wait_score(database_url, world.provider, "92.00", timeout=20)
    assert await archived(database_url) == 6


async def test_a_new_log_while_scoring_runs_is_read_from_its_beginning(world: World, database_url: str) -> None:
    first = [*world.registrations(), world.failure(5), world.failure(6)]
    await publish(world.broker.bootstrap, first)
    async with running_app(create_app(world.settings)):
        await wait_score(database_url, world.provider, "96.00")
        await world.lose_log()
        # Two new failures at offsets 0 and 1 (the projection's position in that partition is 2),
        # then the old events again, as a relay re-seeding the new log would send them.
        await publish(world.broker.bootstrap, [world.failure(7), world.failure(8)])
        await wait_score(database_url, world.provider, "92.00", timeout=30)
        await publish(world.broker.bootstrap, first)
        await asyncio.sleep(1.0)
        await wait_score(database_url, world.provider, "92.00")
    assert await archived(database_url) == 6  # the re-seeded copies were recognised


async def test_a_topic_created_again_is_read_from_its_beginning(world: World, database_url: str) -> None:
    """Same cluster, same offsets reachable, another log: only the record before the offset tells."""
    await publish(world.broker.bootstrap, [*world.registrations(), world.failure(5)])
    async with running_app(create_app(world.settings)):
        await wait_score(database_url, world.provider, "98.00")
    topic = next(t for t in FACT_TOPICS if t.endswith("call-failed.v1"))
    admin = AIOKafkaAdminClient(bootstrap_servers=world.broker.bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([topic])
        await asyncio.sleep(1.0)
    finally:
        await admin.close()
    for _ in range(50):
        if await ensure_topics(world.broker.bootstrap, [topic], partitions=1) == []:
            break
        await asyncio.sleep(0.2)
    # Two new failures: the old offset (1) is inside the new log, at another record.
    await publish(world.broker.bootstrap, [world.failure(6), world.failure(7)])
    async with running_app(create_app(world.settings)):
        await wait_score(database_url, world.provider, "94.00", timeout=20)
