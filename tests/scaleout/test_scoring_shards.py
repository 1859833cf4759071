"""Scoring sharded by unit on the real broker and database: the same generated months scored by one
projection and by two and three shards (each its own service instance, its own partitions, forwarding to
the others through the routed topic) end with the same score rows, each written by the shard that owns
the unit; the month's close and the dashboard's activity figures gather all shards alike; a shard stopped
midway and started again changes nothing; and the archive all shards wrote replays to byte-identical
month results."""

from __future__ import annotations

import asyncio
import json
import random
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from contracts import ROUTED_TOPIC
from contracts.fastdecode import decode
from hubkit.kafka import ensure_topics, make_producer
from hubkit.runtime.broker import LocalBroker
from hubkit.settings import HubSettings
from hubkit.testing import fresh_database, own_broker, running_app, token
from scoring.bootstrap import create_app
from scoring.domain.ruleset import builtin_ruleset
from scoring.messaging.positions import FACT_TOPICS
from scoring.messaging.shards import ShardPlan
from scoring.replay import replay
from scoring.settings import ScoringSettings

from tests.scoring.eventgen import LogGen
from tests.scoring.test_sharding import with_a_moving_county

pytestmark = pytest.mark.integration
PARTITIONS = 3
CLOSED = "2019-08"
ROWS = "SELECT unit, month, total::text, result::text FROM scoring.scores ORDER BY unit, month"


async def publish(bootstrap: str, lines: list[bytes]) -> None:
    producer = make_producer(HubSettings(kafka_bootstrap=bootstrap))
    await producer.start()
    try:
        sends = []
        for line in lines:
            env = decode(line)
            sends.append(await producer.send(f"hub.{env.type}.v1", value=line, key=env.unit.encode()))
        await asyncio.gather(*sends)
    finally:
        await producer.stop()


async def end_offsets(bootstrap: str) -> dict[tuple[str, int], int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        tps = [TopicPartition(t, p) for t in [*FACT_TOPICS, ROUTED_TOPIC] for p in range(PARTITIONS)]
        return {(tp.topic, tp.partition): n for tp, n in (await consumer.end_offsets(tps)).items()}
    finally:
        await consumer.stop()


async def settled(url: str, bootstrap: str, shards: int, timeout: float = 120.0) -> None:
    """Every shard has committed every partition it reads up to the broker's end, nothing is left to send
    to another shard, and the time frame is the same for all: twice in a row, a second apart."""
    plans = [ShardPlan(shards, i, PARTITIONS) for i in range(shards)]
    calm = 0
    deadline = asyncio.get_running_loop().time() + timeout
    while calm < 2:
        assert asyncio.get_running_loop().time() < deadline, "the shards did not settle"
        ends = await end_offsets(bootstrap)
        conn = await asyncpg.connect(url)
        try:
            rows = await conn.fetch("SELECT shard, topic, kafka_partition, next_offset FROM scoring.offsets")
            stored = {(r["shard"], r["topic"], r["kafka_partition"]): r["next_offset"] for r in rows}
            unsent = await conn.fetchval("SELECT count(*) FROM scoring.outbox WHERE sent_at IS NULL")
            frames = await conn.fetch("SELECT watermark, earliest FROM scoring.projection_state")
        finally:
            await conn.close()
        caught_up = all(stored.get((plan.index, t, p), 0) >= n for (t, p), n in ends.items() if n
                        for plan in plans if plan.reads(t, p) and (t != ROUTED_TOPIC or shards > 1))
        same_frame = len(frames) == shards and len({(f["watermark"], f["earliest"]) for f in frames}) == 1
        calm = calm + 1 if caught_up and not unsent and same_frame else 0
        await asyncio.sleep(1.0)


@dataclass
class Scored:
    rows: list[Any]
    url: str
    closed: dict[str, Any]  # the close of CLOSED, asked of the last shard
    activity: dict[str, Any]  # the dashboard's activity figures of the current month and of CLOSED (last shard)


async def committed_by(url: str, shard: int) -> bool:
    conn = await asyncpg.connect(url)
    try:
        return bool(await conn.fetchval("SELECT count(*) FROM scoring.projection_state WHERE shard = $1", shard))
    finally:
        await conn.close()


async def scored(pg_server: str, bootstrap: str, shards: int, restart: bool = False) -> Scored:
    """Run `shards` instances until they settle; with `restart`, the last one is stopped once it has committed
    something and started again (a crash, a redeploy: its partitions are its own, nobody else takes them)."""
    url = await fresh_database(pg_server)

    def settings(shard: int) -> ScoringSettings:
        return ScoringSettings(database_url=url, kafka_bootstrap=bootstrap, shards=shards, shard=shard,
                               outbox_poll_seconds=0.05, submissions="none", inventory="none")

    async with AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(running_app(create_app(settings(i)))) for i in range(shards - 1)]
        last = settings(shards - 1)
        if restart:
            async with running_app(create_app(last)):
                while not await committed_by(url, shards - 1):
                    await asyncio.sleep(0.05)
        clients.append(await stack.enter_async_context(running_app(create_app(last))))
        await settled(url, bootstrap, shards)
        closing = await clients[-1].post(f"/months/{CLOSED}/close", headers=token("operator"))
        assert closing.status_code == 201, closing.text
        figures = {month: await steady_activity(clients[-1], month) for month in ("", CLOSED)}
        conn = await asyncpg.connect(url)
        try:
            return Scored(list(await conn.fetch(ROWS)), url, closing.json(), figures)
        finally:
            await conn.close()


async def steady_activity(client: Any, month: str) -> Any:
    """The dashboard's activity of `month` ("": the current one) once it is there and the same three times
    running (shards write their parts every few seconds)."""
    seen: list[Any] = []
    for _ in range(100):
        r = await client.get("/dashboard", headers=token("operator"), params={"month": month} if month else None)
        assert r.status_code == 200, r.text
        seen.append(r.json()["activity"])
        if seen[-1] is not None and len(seen) >= 3 and seen[-1] == seen[-2] == seen[-3]:
            return seen[-1]
        await asyncio.sleep(0.5)
    raise AssertionError(f"the activity figures did not settle: {seen[-1]}")


async def division_of_work(url: str) -> tuple[int, int]:
    """(shards that archived events, events sent from one shard to another)."""
    conn = await asyncpg.connect(url)
    try:
        return (await conn.fetchval("SELECT count(DISTINCT shard) FROM scoring.archive"),
                await conn.fetchval("SELECT count(*) FROM scoring.outbox WHERE topic = $1", ROUTED_TOPIC))
    finally:
        await conn.close()


async def archived_lines(url: str) -> list[bytes]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT envelope FROM scoring.archive ORDER BY position")
        return [bytes(r["envelope"]) for r in rows]
    finally:
        await conn.close()


async def test_one_two_and_three_shards_score_the_same_months(pg_server: str, tmp_path: Path) -> None:
    rng = random.Random(21)
    lines = [json.dumps(e).encode() for e in with_a_moving_county(LogGen(rng), rng)]
    broker: LocalBroker = own_broker(tmp_path / "broker")
    broker.start()
    try:
        await ensure_topics(broker.bootstrap, partitions=PARTITIONS)
        await publish(broker.bootstrap, lines)
        one = await scored(pg_server, broker.bootstrap, 1)
        assert len(one.rows) > 20
        two = await scored(pg_server, broker.bootstrap, 2)
        three = await scored(pg_server, broker.bootstrap, 3)
        restarted = await scored(pg_server, broker.bootstrap, 2, restart=True)
    finally:
        broker.stop()
    assert [tuple(r) for r in two.rows] == [tuple(r) for r in one.rows]
    assert [tuple(r) for r in three.rows] == [tuple(r) for r in one.rows]
    assert [tuple(r) for r in restarted.rows] == [tuple(r) for r in one.rows]
    for run, shards in ((two, 2), (three, 3)):
        working, forwarded = await division_of_work(run.url)
        assert working == shards and forwarded > 0
        # The close gathers every shard's units (replayed from the archive they all write): the same seal.
        assert (run.closed["sha256"], run.closed["units"]) == (one.closed["sha256"], one.closed["units"])
        # The dashboard adds up every shard's part of the activity figures: the province's, now and in a month
        # that has ended (written for every month a commit touched).
        assert run.activity == one.activity and run.activity[CLOSED] != run.activity[""]
    ruleset = builtin_ruleset()
    months = sorted({r["month"] for r in one.rows})
    for url in (two.url, three.url):
        archive = await archived_lines(url)
        for month in months:
            single = replay(enumerate(lines, 1), ruleset, month).result.canonical_json()
            assert replay(enumerate(archive, 1), ruleset, month).result.canonical_json() == single, month
