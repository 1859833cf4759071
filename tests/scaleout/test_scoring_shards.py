"""Scoring sharded by unit on the real broker and database: the same generated months scored by one
projection and by two and three shards (each its own process-like service instance, its own partitions,
forwarding to the others through the routed topic) end with the same score rows, each written by the
shard that owns the unit, and the archive all shards wrote replays to byte-identical month results."""

from __future__ import annotations

import asyncio
import json
import random
from contextlib import AsyncExitStack
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
from hubkit.testing import fresh_database, own_broker, running_app
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


async def scored(pg_server: str, bootstrap: str, shards: int) -> tuple[list[Any], str]:
    url = await fresh_database(pg_server)
    async with AsyncExitStack() as stack:
        for shard in range(shards):
            settings = ScoringSettings(database_url=url, kafka_bootstrap=bootstrap, shards=shards, shard=shard,
                                       outbox_poll_seconds=0.05, submissions="none", inventory="none")
            await stack.enter_async_context(running_app(create_app(settings)))
        await settled(url, bootstrap, shards)
        conn = await asyncpg.connect(url)
        try:
            return list(await conn.fetch(ROWS)), url
        finally:
            await conn.close()


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
        one, _ = await scored(pg_server, broker.bootstrap, 1)
        assert len(one) > 20
        two, url_two = await scored(pg_server, broker.bootstrap, 2)
        three, url_three = await scored(pg_server, broker.bootstrap, 3)
    finally:
        broker.stop()
    assert [tuple(r) for r in two] == [tuple(r) for r in one]
    assert [tuple(r) for r in three] == [tuple(r) for r in one]
    for url, shards in ((url_two, 2), (url_three, 3)):
        working, forwarded = await division_of_work(url)
        assert working == shards and forwarded > 0
    ruleset = builtin_ruleset()
    months = sorted({r["month"] for r in one})
    for url in (url_two, url_three):
        archive = await archived_lines(url)
        for month in months:
            single = replay(enumerate(lines, 1), ruleset, month).result.canonical_json()
            assert replay(enumerate(archive, 1), ruleset, month).result.canonical_json() == single, month
