"""The relay's two lanes: events a person waits for (alerts, reminders) are sent ahead of a backlog of other
events, and every topic's events still reach the broker in the order they were written."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import pytest
from aiokafka import AIOKafkaProducer
from contracts.event_types import topic_for, urgent_topics
from hubkit import outbox
from hubkit.db import create_pool, migrate_service
from hubkit.kafka import make_producer
from hubkit.relay import OutboxRelay
from hubkit.settings import HubSettings
from hubkit.testing import read_topic

pytestmark = pytest.mark.integration
BULK = topic_for("scoring.score-changed")
ALERT = topic_for("scoring.deduction-alerted")
KEY = b"114500000000000001"  # one key: one partition, so a topic's order on the broker is total
RUN = str(uuid.uuid4())  # marks this module's rows: the session's broker carries other tests' events on these topics


def test_alerts_and_reminders_are_the_urgent_topics() -> None:
    assert urgent_topics() == sorted([ALERT, topic_for("scoring.deadline-reminded")])


async def write(pool: asyncpg.Pool, topics: list[str]) -> None:
    """Rows in this order, each carrying its topic and its place in the write order."""
    async with pool.acquire() as conn:
        start = int(await conn.fetchval("SELECT count(*) FROM outbox"))
        await conn.copy_records_to_table(
            "outbox", columns=["event_id", "topic", "key", "payload"],
            records=[(uuid.uuid4(), t, KEY, orjson.dumps({"n": start + i, "topic": t, "run": RUN}))
                     for i, t in enumerate(topics)])


async def unsent(pool: asyncpg.Pool, topic: str) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND topic = $1", topic))


@asynccontextmanager
async def alpha(database_url: str, kafka_bootstrap: str, tmp_path: Path
                ) -> AsyncIterator[tuple[asyncpg.Pool, AIOKafkaProducer]]:
    """The service "alpha"'s outbox and a producer to the session's broker."""
    await migrate_service(database_url, "alpha", tmp_path)
    pool = await create_pool(database_url, "alpha")
    producer = make_producer(HubSettings(kafka_bootstrap=kafka_bootstrap))
    await producer.start()
    try:
        yield pool, producer
    finally:
        await producer.stop()
        await pool.close()


@asynccontextmanager
async def running(relay: OutboxRelay, release: asyncio.Event) -> AsyncIterator[None]:
    """The relay's loops running, stopped (and any held send let go) at the end."""
    task = asyncio.create_task(relay.run())
    try:
        yield
    finally:
        release.set()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_an_alert_written_behind_a_backlog_is_sent_in_the_first_pass_and_each_topic_keeps_its_order(
        database_url: str, kafka_bootstrap: str, tmp_path: Path) -> None:
    async with alpha(database_url, kafka_bootstrap, tmp_path) as (pool, producer):
        await producer.send_and_wait(BULK, b'{"n": -1, "topic": "another test\'s"}', key=KEY)
        await write(pool, [BULK] * 1200 + [ALERT] + [BULK] * 10 + [ALERT])
        relay = OutboxRelay(pool, "alpha", producer, batch=500)
        assert await relay.publish_once() == 502  # both alerts and the first batch of the backlog
        assert await unsent(pool, ALERT) == 0 and await unsent(pool, BULK) == 710
        await write(pool, [ALERT, BULK, ALERT])
        while await relay.publish_once():
            pass
        assert await unsent(pool, ALERT) == 0 and await unsent(pool, BULK) == 0
        for topic, count in ((BULK, 1211), (ALERT, 4)):
            ours = await read_topic(kafka_bootstrap, topic, expect=count, keep=lambda v: RUN.encode() in v)
            sent = [orjson.loads(v) for v in ours]
            assert len(sent) == count and {s["topic"] for s in sent} == {topic}
            assert [s["n"] for s in sent] == sorted(s["n"] for s in sent)  # the order they were written in


async def test_while_a_pass_fills_the_urgent_lane_the_rest_waits(
        database_url: str, kafka_bootstrap: str, tmp_path: Path) -> None:
    async with alpha(database_url, kafka_bootstrap, tmp_path) as (pool, producer):
        await write(pool, [BULK] * 10 + [ALERT] * 600)
        relay = OutboxRelay(pool, "alpha", producer, batch=500)
        assert await relay.publish_once() == 500 and await unsent(pool, BULK) == 10  # alerts only
        assert await relay.publish_once() == 110 and await unsent(pool, BULK) == 0


async def test_the_urgent_lane_finds_its_rows_by_topic_not_by_reading_the_backlog(
        database_url: str, tmp_path: Path) -> None:
    await migrate_service(database_url, "alpha", tmp_path)
    pool = await create_pool(database_url, "alpha")
    try:
        await write(pool, [BULK] * 20_000 + [ALERT])
        async with pool.acquire() as conn:
            await conn.execute("ANALYZE outbox")
            plan = await conn.fetchval(
                "EXPLAIN (FORMAT JSON) SELECT seq FROM outbox WHERE sent_at IS NULL AND topic = ANY($1::text[]) "
                "ORDER BY seq LIMIT 500", urgent_topics())
        assert "outbox_unsent_by_topic" in str(plan)
    finally:
        await pool.close()


async def test_a_row_committed_while_a_pass_runs_is_sent_without_waiting_for_the_poll(
        database_url: str, kafka_bootstrap: str, tmp_path: Path) -> None:
    """The NOTIFY of a row committed during a pass wakes the next pass (it was cleared after the pass, and the
    row waited out the poll interval: an hour here)."""
    async with alpha(database_url, kafka_bootstrap, tmp_path) as (pool, producer):
        relay = OutboxRelay(pool, "alpha", producer, poll_seconds=3600)
        in_pass, release = asyncio.Event(), asyncio.Event()
        send = relay._send

        async def held(rows: Any) -> None:
            in_pass.set()
            await release.wait()
            await send(rows)

        relay._send = held  # type: ignore[method-assign]
        async with running(relay, release):
            await add_one(pool)
            await asyncio.wait_for(in_pass.wait(), 20)
            await add_one(pool)  # committed while the first pass is held
            await wait_until(lambda: relay._woken[False].is_set())
            release.set()
            await wait_until(lambda: unsent_rows(pool), want=0)


async def add_one(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await outbox.add_encoded(conn, "alpha", [(uuid.uuid4(), BULK, KEY, b"{}")])


async def unsent_rows(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL"))


async def wait_until(probe: Callable[[], Any], want: Any = True, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        got = probe()
        got = await got if asyncio.iscoroutine(got) else got
        if got == want:
            return
        assert loop.time() < deadline, f"still {got!r}, not {want!r}"
        await asyncio.sleep(0.05)


async def test_an_alert_is_sent_while_a_batch_of_the_rest_is_in_flight(
        database_url: str, kafka_bootstrap: str, tmp_path: Path) -> None:
    async with alpha(database_url, kafka_bootstrap, tmp_path) as (pool, producer):
        relay = OutboxRelay(pool, "alpha", producer, poll_seconds=0.1)
        bulk_held, release = asyncio.Event(), asyncio.Event()
        send = relay._send

        async def held(rows: Any) -> None:
            if rows[0]["topic"] == BULK:  # the rest's pass stalls (a slow broker, a big batch)
                bulk_held.set()
                await release.wait()
            await send(rows)

        relay._send = held  # type: ignore[method-assign]
        async with running(relay, release):
            await write(pool, [BULK] * 5)
            await asyncio.wait_for(bulk_held.wait(), 20)
            await add_alert(pool)
            await wait_until(lambda: unsent(pool, ALERT), want=0)
            assert await unsent(pool, BULK) == 5  # still in flight
            release.set()
            await wait_until(lambda: unsent(pool, BULK), want=0)


async def add_alert(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await outbox.add_encoded(conn, "alpha", [(uuid.uuid4(), ALERT, KEY, b"{}")])
