"""Kill the live scoring service (SIGKILL) at random points while it consumes a generated month;
after restarts its scores equal `replay` over the same events, and the archive holds each event once."""

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from hubkit.kafka import make_producer
from hubkit.runtime.ports import free_port
from hubkit.settings import HubSettings
from scoring.domain.ruleset import builtin_ruleset
from scoring.replay import replay

from benchmarks.eventlog import EventLog

pytestmark = pytest.mark.integration
SEED = 20190801


class MonthGen(EventLog):
    """The replay benchmark's generator, with every fact inside July to mid-September 2019."""

    def when(self) -> str:
        start = datetime(2019, 7, 1)
        return (start + timedelta(seconds=self.rng.randrange(77 * 86400))).isoformat() + "+08:00"


def generated_month(seed: int, n: int) -> list[dict[str, Any]]:
    gen = MonthGen(seed)
    # Units unique to this run, so other tests' events on the shared broker never touch them.
    salt = random.Random(seed).randrange(10_000, 90_000)
    gen.departments = [gen.departments[i] for i in range(0, 100, 10)]
    gen.departments = [_unit(gen, "450000", salt + i) for i in range(len(gen.departments))]
    gen.cities = [_unit(gen, f"45{i + 1:02d}00", salt + 100 + i) for i in range(3)]
    gen.counties = [(_unit(gen, f"45{i + 1:02d}02", salt + 200 + i), gen.cities[i]) for i in range(3)]
    gen.units = gen.departments + gen.cities
    gen.codes = {u: [gen.code(u, s) for s in range(1, 41)] for u in gen.units}
    events = gen.setup() + [gen.one() for _ in range(n)]
    events += gen.rng.sample(events, 50)  # redeliveries
    gen.rng.shuffle(events)
    # The latest fact first: the watermark leaves August before most August facts arrive, so
    # late facts must re-score every month from theirs to the current one.
    latest = max(range(len(events)), key=lambda i: events[i]["occurred_at"])
    events.insert(0, events.pop(latest))
    return events


def _unit(gen: EventLog, division: str, n: int) -> str:
    from benchmarks.eventlog import uscc

    return uscc(division, n)


async def publish(bootstrap: str, events: list[dict[str, Any]]) -> None:
    producer = make_producer(HubSettings(kafka_bootstrap=bootstrap), linger_ms=20)
    await producer.start()
    try:
        futures = [await producer.send(f"hub.{e['type']}.v1", value=json.dumps(e).encode(), key=e["unit"].encode())
                   for e in events]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


def start_scoring(database_url: str, bootstrap: str, log: Path, port: int | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HUB_DATABASE_URL": database_url, "HUB_KAFKA_BOOTSTRAP": bootstrap,
           "HUB_HTTP_PORT": str(port or free_port()), "HUB_PROJECTION_BATCH": "5",
           "HUB_LOG_LEVEL": "WARNING",
           "HUB_SUBMISSIONS": "none", "HUB_INVENTORY": "none"}  # replayed against its own log only
    return subprocess.Popen([sys.executable, "-m", "scoring"], env=env, stdout=log.open("ab"),
                            stderr=subprocess.STDOUT)


async def archived(url: str, ids: list[uuid.UUID]) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval(
            "SELECT count(*) FROM scoring.archive WHERE event_id = ANY($1::uuid[])", ids))
    except asyncpg.UndefinedTableError:
        return 0
    finally:
        await conn.close()


async def test_sigkill_at_random_points_then_scores_equal_replay(
    database_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    events = generated_month(SEED, 3000)
    ids = sorted({uuid.UUID(e["id"]) for e in events})
    await publish(kafka_bootstrap, events)
    log, rng = tmp_path / "scoring.log", random.Random(SEED)

    progress = [0]
    for _ in range(4):
        proc = start_scoring(database_url, kafka_bootstrap, log)
        # Kill while it consumes: once it has committed something new, at a random instant after.
        deadline = asyncio.get_running_loop().time() + 60
        while await archived(database_url, ids) == progress[-1] and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
        await asyncio.sleep(rng.uniform(0.0, 0.15))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        progress.append(await archived(database_url, ids))
        if progress[-1] == len(ids):
            break
    proc = start_scoring(database_url, kafka_bootstrap, log)
    try:
        deadline = asyncio.get_running_loop().time() + 180
        while await archived(database_url, ids) < len(ids):
            assert proc.poll() is None, log.read_text()[-3000:]
            assert asyncio.get_running_loop().time() < deadline, f"consumed {progress} then stalled"
            await asyncio.sleep(0.5)
        await asyncio.sleep(2.0)  # the batch that archived the last event has committed its scores with it
    finally:
        proc.terminate()
        proc.wait(20)
    assert any(0 < p < len(ids) for p in progress), f"never killed mid-consumption: {progress} of {len(ids)}"
    await scores_equal_replay(database_url, events)


async def scores_equal_replay(database_url: str, events: list[dict[str, Any]]) -> None:
    """The live scores of the generated units are those `replay` gives, and the archive holds each event once."""
    expected = json.loads(replay([(n, json.dumps(e).encode()) for n, e in enumerate(events, 1)],
                                 builtin_ruleset(), "2019-08").result.replay_json())
    mine = {u["unit"]: u for u in expected["units"]}
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT unit, result FROM scoring.scores WHERE month = '2019-08' AND unit = ANY($1)",
                                list(mine))
        counts = await conn.fetchval(
            "SELECT count(*) FROM (SELECT event_id FROM scoring.archive GROUP BY event_id HAVING count(*) > 1) d")
    finally:
        await conn.close()
    assert counts == 0
    live = {r["unit"]: json.loads(r["result"]) for r in rows}
    assert set(live) == set(mine)
    for unit, want in mine.items():
        got = live[unit]
        assert (got["x"], got["y"], got["total"], got["band"], got["list"]) == (
            want["x"], want["y"], want["total"], want["band"], want["list"]), unit
        assert {k: format(float(v), "g") for k, v in got["items"].items()} == {
            k: format(float(v), "g") for k, v in want["items"].items()}, unit


async def test_the_active_instance_killed_at_random_points_its_standby_takes_over(
    database_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Two scoring processes at all times, one projecting and one waiting (messaging/lease.py): the projecting one
    is killed (SIGKILL) at random points while it consumes, and a new standby started each time. Each takeover
    goes on from the database; in the end the scores equal replay and the archive holds each event once."""
    events = generated_month(SEED + 1, 3000)
    ids = sorted({uuid.UUID(e["id"]) for e in events})
    await publish(kafka_bootstrap, events)
    log, rng = tmp_path / "scoring.log", random.Random(SEED + 1)
    instances: dict[int, subprocess.Popen[bytes]] = {}

    def start() -> None:
        port = free_port()
        instances[port] = start_scoring(database_url, kafka_bootstrap, log, port)

    start()
    start()
    progress = [0]
    try:
        for _ in range(3):
            active = await the_active(instances)
            deadline = asyncio.get_running_loop().time() + 60
            while await archived(database_url, ids) == progress[-1] and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.02)
            await asyncio.sleep(rng.uniform(0.0, 0.15))
            instances.pop(active).send_signal(signal.SIGKILL)
            progress.append(await archived(database_url, ids))
            start()
            if progress[-1] == len(ids):
                break
        deadline = asyncio.get_running_loop().time() + 180
        while await archived(database_url, ids) < len(ids):
            assert all(p.poll() is None for p in instances.values()), log.read_text()[-3000:]
            assert asyncio.get_running_loop().time() < deadline, f"consumed {progress} then stalled"
            await asyncio.sleep(0.5)
        await asyncio.sleep(2.0)  # the batch that archived the last event has committed its scores with it
        await the_active(instances)  # still one projecting, one waiting
    finally:
        for proc in instances.values():
            proc.terminate()
            proc.wait(20)
    assert any(0 < p < len(ids) for p in progress), f"never killed mid-consumption: {progress} of {len(ids)}"
    assert "background task crashed" not in log.read_text()  # no commit of a second projector ever failed
    await scores_equal_replay(database_url, events)


async def the_active(instances: dict[int, subprocess.Popen[bytes]]) -> int:
    """The port of the one instance that projects (ready), once the other says it waits (standby)."""
    import httpx

    deadline = asyncio.get_running_loop().time() + 90
    async with httpx.AsyncClient(timeout=2) as client:
        while asyncio.get_running_loop().time() < deadline:
            states: dict[int, str] = {}
            for port in instances:
                try:
                    states[port] = (await client.get(f"http://127.0.0.1:{port}/ready")).json()["checks"].get(
                        "projection", "?")
                except httpx.HTTPError:
                    states[port] = "down"
            active = [p for p, s in states.items() if s == "ok"]
            if len(active) == 1 and all(s.startswith("standby") for p, s in states.items() if p != active[0]):
                return active[0]
            await asyncio.sleep(0.2)
    raise AssertionError(f"not one projecting and the others waiting: {states}")
