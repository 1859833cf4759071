"""Scoring benchmarks: live ingest vs raw consume, replay vs decode-only, alert latency under load."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer
from hubkit.kafka import ensure_topics, make_producer
from hubkit.settings import HubSettings
from hubkit.testing import fresh_database, running_app

from benchmarks.eventlog import EventLog
from benchmarks.profiles import INGEST, sampling

WARMUP = 5


class _AugustGen(EventLog):
    def when(self) -> str:
        return (datetime(2019, 8, 1) + timedelta(seconds=self.rng.randrange(31 * 86400))).isoformat() + "+08:00"


def events(n: int, seed: int = 7) -> list[bytes]:
    gen = _AugustGen(seed)
    out = gen.setup()
    out += [gen.one() for _ in range(max(0, n - len(out)))]
    return [json.dumps(e).encode() for e in out]


async def _raw_consume(bootstrap: str, topics: list[str], n: int) -> float:
    # No group: the reference needs no coordinator (one run's group coordinator never came up, and the bench waited)
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                fetch_max_bytes=16 * 1024 * 1024, max_partition_fetch_bytes=4 * 1024 * 1024)
    await consumer.start()
    try:
        got, started = 0, None
        while got < n:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            if batch and started is None:
                started = time.perf_counter()
            got += sum(len(v) for v in batch.values())
        return got / (time.perf_counter() - (started or time.perf_counter()))
    finally:
        await consumer.stop()


async def publish_prefixed(bootstrap: str, prefix: str, lines: list[bytes]) -> None:
    """Each event onto its type's topic of the run (`<prefix>.<type>.v1`), keyed by its unit."""
    producer = make_producer(HubSettings(kafka_bootstrap=bootstrap), linger_ms=20, max_batch_size=256 * 1024)
    await producer.start()
    try:
        futures = []
        for line in lines:
            env = json.loads(line)
            futures.append(await producer.send(f"{prefix}.{env['type']}.v1", value=line, key=env["unit"].encode()))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def live_ingest(server_url: str, bootstrap: str, n: int) -> dict[str, Any]:
    """Events/s through the projection (archive + state + offsets committed per batch) vs raw getmany."""
    from scoring.bootstrap import create_app
    from scoring.messaging.projector import FACT_TOPICS
    from scoring.settings import ScoringSettings

    prefix = f"bench{uuid.uuid4().hex[:6]}"
    topics = [t.replace("hub.", f"{prefix}.", 1) for t in FACT_TOPICS]
    await ensure_topics(bootstrap, topics, partitions=6)
    lines = events(n)
    await publish_prefixed(bootstrap, prefix, lines)
    raw = await _raw_consume(bootstrap, topics, len(lines))

    url = await fresh_database(server_url, "bench")
    app = create_app(ScoringSettings(database_url=url, kafka_bootstrap=bootstrap, log_level="WARNING"))
    app.state.projector.topics = topics  # (patching the module's FACT_TOPICS stopped working when it moved)
    async with running_app(app):
        projector = app.state.projector
        await asyncio.wait_for(projector.ready.wait(), 60)
        # From the moment the partitions are assigned to the last commit: fetching, scoring and
        # committing all of it. (Timing from the first commit instead left out whatever the first
        # batch held: on Apache Kafka, which serves the whole backlog in one fetch, nearly all of it.)
        started = time.perf_counter()
        async with sampling(os.getpid(), INGEST) as profile:  # (the projection runs in this process)
            while projector.position < len(lines):
                if time.perf_counter() - started > 900:  # a benchmark stops by itself, even when nothing arrives
                    raise RuntimeError(f"the projection folded {projector.position} of {len(lines)} events in 900 s")
                await asyncio.sleep(0.01)
            elapsed = time.perf_counter() - started
        rate = len(lines) / elapsed if elapsed > 0 else 0.0
    return {"events": len(lines), "raw_consume_per_s": round(raw), "ingest_per_s": round(rate),
            "ratio": round(rate / raw, 3) if raw else None,
            "targets": "ingest >= 50% of raw and >= 50,000 events/s", **profile.summary()}


async def alert_latency(server_url: str, bootstrap: str, samples: int, background_per_s: int = 1000) -> dict[str, Any]:
    """Publish a call-failed → its deduction-alerted arrives, under a steady background load."""
    from contracts import encode, new_envelope
    from contracts.exchange import CallFailed
    from contracts.registry_events import UnitRegistered
    from contracts.values import build_resource_code, make_uscc
    from scoring.bootstrap import create_app
    from scoring.settings import ScoringSettings

    sh = datetime.fromisoformat("2019-08-01T00:00:00+08:00").tzinfo
    url = await fresh_database(server_url, "lat")
    settings = ScoringSettings(database_url=url, kafka_bootstrap=bootstrap, log_level="WARNING",
                               outbox_poll_seconds=0.05)
    providers = [make_uscc("450000", uuid.uuid4().hex[:8].upper()) for _ in range(samples + WARMUP)]
    consumer_unit = make_uscc("450000", uuid.uuid4().hex[:8].upper())
    producer = make_producer(HubSettings(kafka_bootstrap=bootstrap), linger_ms=0)
    await producer.start()
    alerts = AIOKafkaConsumer("hub.scoring.deduction-alerted.v1", bootstrap_servers=bootstrap,
                              group_id=None, auto_offset_reset="latest", fetch_max_wait_ms=5)
    app = create_app(settings)
    latencies: list[float] = []
    try:
        for unit in [*providers, consumer_unit]:
            env = new_envelope(UnitRegistered(name="bench", kind="department", division_code="450000",
                                              parent_unit=None, absent_indicators=[]),
                               unit=unit, occurred_at=datetime(2019, 7, 1, tzinfo=sh))
            await producer.send_and_wait(env.topic, encode(env), key=unit.encode())
        async with running_app(app):
            await asyncio.wait_for(app.state.projector.ready.wait(), 60)
            commits = _time_commits(app.state.projector)
            await alerts.start()
            background = asyncio.create_task(_background(producer, consumer_unit, background_per_s))
            await asyncio.sleep(3)
            for day, unit in enumerate(providers):
                env = new_envelope(CallFailed(call_id=uuid.uuid4().hex, resource_code=build_resource_code(
                    "450000", unit, 1), consumer_unit=consumer_unit, data_kind="government", error="timeout"),
                    unit=unit, occurred_at=datetime(2019, 8, 1 + day % 28, 10, tzinfo=sh))
                sent = time.perf_counter()
                await producer.send_and_wait(env.topic, encode(env), key=unit.encode())
                while True:
                    msg = await alerts.getone()
                    if json.loads(msg.value)["unit"] == unit:
                        latencies.append((time.perf_counter() - sent) * 1000)
                        break
            background.cancel()
    finally:
        await alerts.stop()
        await producer.stop()
    warmup = latencies[:WARMUP]  # first metadata fetches and consumer positioning, not steady state
    latencies = sorted(latencies[WARMUP:])
    return {"samples": len(latencies), "background_events_per_s": background_per_s,
            "p50_ms": round(statistics.median(latencies), 1),
            "p99_ms": _p99(latencies),
            "warmup_ms": [round(w) for w in warmup], "target": "p99 <= 100 ms",
            # What an alert waits for: the commit in flight when its event is read, then its own batch's commit.
            "commits": len(commits), "commit_p50_ms": round(statistics.median(commits), 1) if commits else None,
            "commit_p99_ms": _p99(sorted(commits)) if commits else None}


def _p99(ordered: list[float]) -> float:
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1)


def _time_commits(projector: Any) -> list[float]:
    """The projection's commit durations (ms) from now on, each as the batch's transaction took."""
    durations: list[float] = []
    commit = projector._commit

    async def timed(host: Any, batch: Any) -> None:
        began = time.perf_counter()
        await commit(host, batch)
        durations.append((time.perf_counter() - began) * 1000)

    projector._commit = timed
    return durations


async def _background(producer: Any, unit: str, per_s: int) -> None:
    from contracts import encode, new_envelope
    from contracts.exchange import DataUsed
    from contracts.values import build_resource_code

    sh = datetime.fromisoformat("2019-08-01T00:00:00+08:00").tzinfo
    code = build_resource_code("450000", unit, 1)
    tick = 0.05
    while True:
        for _ in range(int(per_s * tick)):
            env = new_envelope(DataUsed(resource_code=code, consumer_unit=unit, purpose="general"), unit=unit,
                               occurred_at=datetime(2019, 8, 1, 9, tzinfo=sh))
            await producer.send(env.topic, encode(env), key=unit.encode())
        await asyncio.sleep(tick)


def replay_bench(n: int) -> dict[str, Any]:
    from benchmarks.replay_bench import run

    return run(n)
