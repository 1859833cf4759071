"""A month closed by two shards while events keep arriving, some of them for other shards (a county's facts for its
city, attributed findings, a license used by another unit's holder): every shard is held still at once and
scores its units from memory, and the seal is exactly what the auditors get replaying the archive up to the
position it names; a shard that is not there makes the close answer "busy" and seals nothing."""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from hubkit.kafka import ensure_topics
from hubkit.relay import OutboxRelay
from hubkit.runtime.broker import LocalBroker
from hubkit.testing import fresh_database, own_broker, running_app, token
from scoring.bootstrap import create_app
from scoring.domain.ruleset import builtin_ruleset
from scoring.messaging.shards import ShardPlan
from scoring.replay import replay
from scoring.settings import ScoringSettings
from scoring.storage import close_rounds as storage

from tests.scaleout.test_scoring_shards import CLOSED, PARTITIONS, publish, settled
from tests.scoring.builders import DEPT, OTHER_DEPT, Log
from tests.scoring.eventgen import LogGen
from tests.scoring.test_sharding import with_a_moving_county

pytestmark = pytest.mark.integration


def generated(seed: int) -> list[bytes]:
    """A generated log whose event and finding ids are its own (every log numbers its events from 1)."""
    rng = random.Random(seed)
    events = with_a_moving_county(LogGen(rng), rng)
    for e in events:
        e["id"] = str(uuid.UUID(int=seed << 64 | uuid.UUID(e["id"]).int))
        if "finding_id" in e["data"]:
            e["data"]["finding_id"] = f"s{seed}-{e['data']['finding_id']}"
    return [json.dumps(e).encode() for e in events]


async def archived_upto(url: str, position: int) -> list[bytes]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT envelope FROM scoring.archive WHERE position <= $1 ORDER BY position", position)
        return [bytes(r["envelope"]) for r in rows]
    finally:
        await conn.close()


async def trickle(bootstrap: str, lines: list[bytes]) -> None:
    for i in range(0, len(lines), 4):
        await publish(bootstrap, lines[i:i + 4])
        await asyncio.sleep(0.02)


def settings(url: str, bootstrap: str, shard: int) -> ScoringSettings:
    return ScoringSettings(database_url=url, kafka_bootstrap=bootstrap, shards=2, shard=shard,
                           outbox_poll_seconds=0.05, submissions="none", inventory="none")


@dataclass
class Running:
    url: str
    bootstrap: str
    clients: list[Any]
    stack: AsyncExitStack  # the shards': closing it stops them


@asynccontextmanager
async def two_settled_shards(pg_server: str, tmp_path: Path, seed: int) -> AsyncIterator[Running]:
    """A broker, a fresh database and two shards that have folded a generated log, for the block."""
    broker: LocalBroker = own_broker(tmp_path / "broker")
    broker.start()
    try:
        await ensure_topics(broker.bootstrap, partitions=PARTITIONS)
        await publish(broker.bootstrap, generated(seed))
        url = await fresh_database(pg_server)
        async with AsyncExitStack() as stack:
            clients = [await stack.enter_async_context(running_app(create_app(settings(url, broker.bootstrap, i))))
                       for i in range(2)]
            await settled(url, broker.bootstrap, 2)
            yield Running(url, broker.bootstrap, clients, stack)
    finally:
        broker.stop()


async def test_a_month_closed_by_shards_under_traffic_is_the_archive_up_to_its_seal(
        pg_server: str, tmp_path: Path) -> None:
    async with two_settled_shards(pg_server, tmp_path, 7) as running:
        traffic = asyncio.create_task(trickle(running.bootstrap, [line for seed in (8, 9, 10)
                                                                  for line in generated(seed)]))
        await asyncio.sleep(0.3)
        closing = await running.clients[0].post(f"/months/{CLOSED}/close", headers=token("operator"))
        still_arriving = not traffic.done()
        await traffic
    url = running.url
    assert closing.status_code == 201, closing.text
    assert still_arriving, "the traffic ended before the close: this test proves nothing then"
    seal = closing.json()
    archive = await archived_upto(url, seal["last_position"])
    replayed = replay(enumerate(archive, 1), builtin_ruleset(), CLOSED).result
    assert (replayed.sha256(), len(replayed.units)) == (seal["sha256"], seal["units"])


async def test_a_close_with_a_shard_missing_is_busy_and_seals_nothing(pg_server: str, tmp_path: Path) -> None:
    async with two_settled_shards(pg_server, tmp_path, 11) as running:
        await running.stack.aclose()  # both stop; the first comes back alone
        async with running_app(create_app(settings(running.url, running.bootstrap, 0))) as client:
            for _ in range(600):
                if (await client.get("/ready")).status_code == 200:
                    break
                await asyncio.sleep(0.1)
            closing = await client.post(f"/months/{CLOSED}/close", headers=token("operator"))
    url = running.url
    assert closing.status_code == 409, closing.text
    assert closing.json()["type"].endswith("/projection-busy"), closing.text
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM scoring.closed_months") == 0
        assert await conn.fetchval("SELECT count(*) FROM scoring.close_rounds") == 0  # its rounds are gone
    finally:
        await conn.close()


async def archived(url: str, event_id: str) -> bool:
    conn = await asyncpg.connect(url)
    try:
        return bool(await conn.fetchval("SELECT count(*) FROM scoring.archive WHERE event_id = $1::uuid", event_id))
    finally:
        await conn.close()


async def test_a_round_with_a_fact_still_between_shards_is_not_sealed(
        pg_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A finding on a unit of one shard attributed to a unit of the other arrives after the close saw every shard
    caught up, and its routed copy is still in the outbox when the shards are held: that round is abandoned (the
    other shard's memory lacks a fact the archive has), and the close seals a later one, the archive's replay."""
    source, target = OTHER_DEPT, DEPT  # owned by shards 0 and 1 of two (PARTITIONS partitions)
    plan = ShardPlan(2, 0, PARTITIONS)
    assert plan.owner_of(source) != plan.owner_of(target)
    late = Log().finding(source, "C3.2", "occurrence", "2019-08-20 10:00", count=2, attributed_unit=target)
    late["id"] = str(uuid.uuid4())
    relay_open, publish_lane = asyncio.Event(), OutboxRelay._publish_lane
    relay_open.set()
    rounds: list[str] = []
    where: list[Running] = []  # the shards, once running

    async def gated(self: OutboxRelay, urgent: bool) -> int:
        await relay_open.wait()
        return await publish_lane(self, urgent)

    open_round, set_state = storage.open_round, storage.set_state

    async def opening(pool: Any, month: str, as_of: int, seconds: float) -> uuid.UUID:
        if not rounds:  # the close has seen every shard caught up: the fact arrives now, its copy held back
            relay_open.clear()
            await publish(where[0].bootstrap, [json.dumps(late).encode()])
            while not await archived(where[0].url, late["id"]):
                await asyncio.sleep(0.05)
        rounds.append("opened")
        return await open_round(pool, month, as_of, seconds)

    async def deciding(pool: Any, round_id: uuid.UUID, state: str) -> None:
        rounds.append(state)
        relay_open.set()
        await set_state(pool, round_id, state)

    monkeypatch.setattr(OutboxRelay, "_publish_lane", gated)
    monkeypatch.setattr(storage, "open_round", opening)
    monkeypatch.setattr(storage, "set_state", deciding)
    async with two_settled_shards(pg_server, tmp_path, 7) as running:
        where.append(running)
        closing = await running.clients[0].post(f"/months/{CLOSED}/close", headers=token("operator"))
    url = running.url
    assert closing.status_code == 201, closing.text
    assert rounds[:2] == ["opened", "abandoned"] and rounds[-1] == "scoring", rounds
    seal = closing.json()
    archive = await archived_upto(url, seal["last_position"])
    assert late["id"].encode() in b"".join(archive)
    ruleset = builtin_ruleset()
    replayed = replay(enumerate(archive, 1), ruleset, CLOSED).result
    assert (replayed.sha256(), len(replayed.units)) == (seal["sha256"], seal["units"])
    without = [line for line in archive if late["id"].encode() not in line]
    assert replay(enumerate(without, 1), ruleset, CLOSED).result.sha256() != seal["sha256"]  # the fact counts


async def test_two_closes_at_once_each_seal_their_month(pg_server: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Each shard takes part in one round at a time. Two closes at once, their rounds seen in opposite orders by the
    two shards (as they can: each looks when it is woken), would each hold one shard still waiting for the other
    until both gave up; one close at a time, both seal their month."""
    waiting_for = storage.waiting_for
    first_seen: dict[tuple[int, uuid.UUID], float] = {}

    async def opposite(pool: Any, shard: int) -> list[storage.Round]:
        found = await waiting_for(pool, shard)
        if len(found) == 1:  # a second close may be under way: look again shortly (for a second at most)
            seen = first_seen.setdefault((shard, found[0].id), time.monotonic())
            if time.monotonic() - seen < 1.0:
                return []  # (the participant looks again when woken, or a second later)
        return found[::-1] if shard == 1 else found

    monkeypatch.setattr(storage, "waiting_for", opposite)
    async with two_settled_shards(pg_server, tmp_path, 7) as running:
        july, august = await asyncio.gather(
            *(client.post(f"/months/{month}/close", headers=token("operator"))
              for client, month in zip(running.clients, ("2019-07", CLOSED), strict=True)))
    assert (july.status_code, august.status_code) == (201, 201), (july.text, august.text)
    for month, seal in (("2019-07", july.json()), (CLOSED, august.json())):
        archive = await archived_upto(running.url, seal["last_position"])
        assert replay(enumerate(archive, 1), builtin_ruleset(), month).result.sha256() == seal["sha256"], month
