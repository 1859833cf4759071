"""A department's alert while a deadline passes for a whole province: alert latency in a burst.

Units registered on 1 July; an event of 1 August moves event time past July's submission deadlines, and the
hub's sweep records every unit's misses at once (ten findings a unit), then scores them: thousands of findings,
alerts and score changes in a few seconds. Meanwhile, one at a time, a unit's call fails and the probe times its
event published → its deduction alert received. The reference is the same probe once the burst is over.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from datetime import datetime
from typing import Any

import asyncpg
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from hubkit.kafka import make_producer
from hubkit.settings import HubSettings
from hubkit.testing import fresh_database, running_app

SH = datetime.fromisoformat("2019-08-01T00:00:00+08:00").tzinfo
ALERTS = "hub.scoring.deduction-alerted.v1"


class Probe:
    """Call failures of one unit at a time, each timed to its alert on the broker."""

    def __init__(self, producer: AIOKafkaProducer, bootstrap: str, consumer_unit: str) -> None:
        self.producer, self.consumer_unit = producer, consumer_unit
        self.alerts = AIOKafkaConsumer(ALERTS, bootstrap_servers=bootstrap, group_id=None,
                                       auto_offset_reset="latest", fetch_max_wait_ms=5)
        self.arrived: dict[bytes, asyncio.Future[float]] = {}

    async def watch(self) -> None:
        async for msg in self.alerts:
            waiting = self.arrived.get(msg.key or b"")
            if waiting is None or waiting.done():
                continue
            # the burst alerts every unit (items A…): only the call failure's alert ends a probe
            if not orjson.loads(msg.value)["data"]["item"].startswith("A"):
                waiting.set_result(time.perf_counter())

    async def once(self, unit: str, day: int) -> float:
        from contracts import encode, new_envelope
        from contracts.exchange import CallFailed
        from contracts.values import build_resource_code

        env = new_envelope(CallFailed(call_id=uuid.uuid4().hex, resource_code=build_resource_code("450000", unit, 1),
                                      consumer_unit=self.consumer_unit, data_kind="government", error="timeout"),
                           unit=unit, occurred_at=datetime(2019, 8, day, 10, tzinfo=SH))
        self.arrived[unit.encode()] = asyncio.get_running_loop().create_future()
        sent = time.perf_counter()
        await self.producer.send_and_wait(env.topic, encode(env), key=unit.encode())
        return (await asyncio.wait_for(self.arrived[unit.encode()], 60) - sent) * 1000


async def alert_in_burst(server_url: str, bootstrap: str, units: int = 1000, quiet_probes: int = 10
                         ) -> dict[str, Any]:
    from contracts.values import make_uscc
    from scoring.bootstrap import create_app
    from scoring.settings import ScoringSettings

    url = await fresh_database(server_url, "burst")
    names = [make_uscc("450000", uuid.uuid4().hex[:8].upper()) for _ in range(units)]
    producer = make_producer(HubSettings(kafka_bootstrap=bootstrap), linger_ms=0)
    await producer.start()
    conn = await asyncpg.connect(url)
    probe = Probe(producer, bootstrap, names[0])
    try:
        await _register(producer, names)
        app = create_app(ScoringSettings(database_url=url, kafka_bootstrap=bootstrap, log_level="WARNING",
                                         outbox_poll_seconds=0.05))
        async with running_app(app):
            await asyncio.wait_for(app.state.projector.ready.wait(), 120)
            await probe.alerts.start()
            watcher = asyncio.create_task(probe.watch())
            await probe.once(names[1], 1)  # event time passes July's deadlines: the sweep's burst follows
            while not await conn.fetchval("SELECT count(*) FROM scoring.findings"):
                await asyncio.sleep(0.01)
            began, during = time.perf_counter(), list[float]()
            spare = iter(names[2:])
            while await _burst_on(conn) and len(during) < 100:
                during.append(await probe.once(next(spare), 2))
                await asyncio.sleep(0.05)
            lasted = time.perf_counter() - began
            quiet = [await probe.once(next(spare), 3) for _ in range(quiet_probes)]
            findings = int(await conn.fetchval("SELECT count(*) FROM scoring.findings"))
            alerts = int(await conn.fetchval("SELECT count(*) FROM scoring.alerts"))
            watcher.cancel()
    finally:
        await probe.alerts.stop()
        await conn.close()
        await producer.stop()
    return {"units": units, "findings": findings, "alerts": alerts, "burst_s": round(lasted, 2),
            "probes_in_burst": len(during), "in_burst_p50_ms": round(statistics.median(during)) if during else None,
            "in_burst_max_ms": round(max(during)) if during else None,
            "quiet_p50_ms": round(statistics.median(quiet), 1),
            "target": "an alert in a burst as soon as one outside it (p99 <= 100 ms)"}


async def _register(producer: AIOKafkaProducer, names: list[str]) -> None:
    from contracts import encode, new_envelope
    from contracts.registry_events import UnitRegistered

    for unit in names:
        env = new_envelope(UnitRegistered(name="bench", kind="department", division_code="450000", parent_unit=None,
                                          absent_indicators=[]), unit=unit, occurred_at=datetime(2019, 7, 1, tzinfo=SH))
        await producer.send(env.topic, encode(env), key=unit.encode())
    await producer.flush()


async def _burst_on(conn: asyncpg.Connection) -> bool:
    """Findings not yet scored, or events not yet sent: the burst is still going."""
    unsent = await conn.fetchval("SELECT count(*) FROM scoring.outbox WHERE sent_at IS NULL")
    scored = await conn.fetchval("SELECT count(*) FROM scoring.archive WHERE type = 'scoring.finding-recorded'")
    findings = await conn.fetchval("SELECT count(*) FROM scoring.findings")
    return bool(unsent) or scored < findings
