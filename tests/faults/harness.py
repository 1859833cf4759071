"""Fault injection: a generated workload through the HTTP APIs while services, the broker and the
database are killed, restarted and stalled; then the hub is checked against what it accepted.

Checks once the hub has settled:
- every write answered 2xx is reflected in scoring's archive (unit registrations, publications,
  mounts, findings);
- the archive holds every fact event of the union of the services' outboxes, each exactly once;
- every unit's live score equals the replay of that union as of the live watermark;
- no consumer is stuck: every lag is 0 and no outbox row is waiting.

`make chaos` runs a longer version and prints the report; `tests/faults/` runs a short one.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from contracts.values import make_uscc
from hubkit.auth import mint_token
from hubkit.runtime.broker import local_broker
from hubkit.runtime.errors import RuntimeStartError
from hubkit.runtime.launcher import NAMES, Hub
from hubkit.runtime.ports import free_port, port_is_free
from hubkit.settings import DEV_SECRET
from scoring.domain.ruleset import builtin_ruleset
from scoring.messaging.positions import FACT_TOPICS
from scoring.replay import replay

FAULTS = ("kill-catalog", "kill-exchange", "kill-elicense", "kill-scoring", "restart-broker", "restart-postgres",
          "stall-scoring", "stall-exchange")
TANSU_FAULTS = ("lose-broker", "kill-catalog", "kill-scoring", "kill-exchange")
FLAG_ITEMS = [i.id for i in builtin_ruleset().items.values() if i.kind == "flag" and i.source == "insp"]


@dataclass
class Report:
    broker: str
    faults: Counter[str] = field(default_factory=Counter)
    accepted: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    lost: list[str] = field(default_factory=list)
    applied_twice: int = 0
    score_mismatches: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)
    archived: int = 0
    outbox_facts: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.lost or self.applied_twice or self.score_mismatches or self.stuck)

    def lines(self) -> list[str]:
        def counts(c: Counter[str]) -> str:
            return f"{sum(c.values())} ({', '.join(f'{k} {v}' for k, v in sorted(c.items()))})"

        return [
            f"broker: {self.broker}, {self.seconds:.0f} s",
            f"faults injected: {counts(self.faults)}",
            f"writes accepted: {counts(self.accepted)}; not accepted while faults lasted: {sum(self.refused.values())}",
            f"fact events in the outboxes: {self.outbox_facts}; archived: {self.archived}",
            f"events lost: {len(self.lost)}" + (f" ({', '.join(self.lost[:5])}…)" if self.lost else ""),
            f"applied twice: {self.applied_twice}",
            f"units whose live score differs from the replay: {len(self.score_mismatches)}"
            + (f" ({', '.join(self.score_mismatches[:5])})" if self.score_mismatches else ""),
            f"stuck: {', '.join(self.stuck) if self.stuck else 'none'}",
        ]


class ChaosHub:
    """A hub of the test's own (durable PostgreSQL, the chosen broker), driven in-process."""

    def __init__(self, home: Path, broker: str) -> None:
        # Below the ephemeral range (32768+): a killed service's port must not be taken, while it is
        # down, as the source port of some client's outgoing connection.
        rng = random.Random()
        base = rng.randrange(21000, 32000, 10)
        while any(not port_is_free(base + i) for i in range(1, 5)):
            base = rng.randrange(21000, 32000, 10)
        os.environ.pop("HUB_DATABASE_URL", None)
        os.environ.pop("HUB_KAFKA_BOOTSTRAP", None)
        self.hub = Hub(home=home, ports={n: base + i for i, n in enumerate(NAMES, start=1)})
        self.kind = broker
        self.lock = threading.Lock()

    def start(self) -> None:
        from hubkit.runtime.postgres import EmbeddedPostgres

        hub = self.hub
        hub.home.mkdir(parents=True, exist_ok=True)
        hub.postgres = EmbeddedPostgres(hub.home / "pgdata", free_port(), durable=True)
        hub.postgres.start()
        hub.database_url = hub.postgres.url.rsplit("/", 1)[0] + "/hub"
        hub.broker = local_broker(self.kind, hub.home, free_port(), auth=True)  # as `hub up` runs it
        hub.broker.start()
        hub.kafka_bootstrap = hub.broker.bootstrap
        hub.prepare(3)
        hub.start_services()
        hub.wait_healthy(90)

    def stop(self) -> None:
        for proc in self.hub.processes.values():  # a stalled service must be able to stop
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGCONT)
        self.hub.stop()

    def _restart(self, name: str, attempts: int = 5) -> None:
        for attempt in range(attempts):
            try:
                self.hub.start_service(name)
                self.hub.wait_healthy(90)
                return
            except RuntimeStartError:  # e.g. the port not free yet: try again shortly
                if attempt == attempts - 1:
                    raise
                time.sleep(1.0)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.hub.ports[name]}"

    def inject(self, fault: str, rng: random.Random) -> None:
        hub = self.hub
        with self.lock:
            if fault.startswith("kill-"):
                name = fault.removeprefix("kill-")
                proc = hub.processes[name]
                proc.kill()
                proc.wait()
                time.sleep(rng.uniform(0.2, 1.5))
                self._restart(name)
            elif fault.startswith("stall-"):
                proc = hub.processes[fault.removeprefix("stall-")]
                os.kill(proc.pid, signal.SIGSTOP)
                time.sleep(rng.uniform(2.0, 5.0))
                os.kill(proc.pid, signal.SIGCONT)
            elif fault == "restart-broker":  # durable: the log survives
                assert hub.broker is not None
                hub.broker.stop()
                time.sleep(rng.uniform(0.5, 2.0))
                hub.broker.start()
            elif fault == "lose-broker":  # the log is gone; relays re-seed it
                # Scoring is stalled first, so the lost log holds events relayed but not yet consumed.
                assert hub.broker is not None
                scoring = hub.processes["scoring"]
                os.kill(scoring.pid, signal.SIGSTOP)
                time.sleep(rng.uniform(1.5, 3.0))
                hub.broker.stop()
                hub.broker.lose_log()
                hub.broker.start()
                hub.prepare(3)
                os.kill(scoring.pid, signal.SIGCONT)
            elif fault == "restart-postgres":
                assert hub.postgres is not None
                hub.postgres.stop()
                time.sleep(rng.uniform(0.5, 2.0))
                hub.postgres.start()
            else:
                raise ValueError(fault)


class Workload:
    """Writes through the APIs, one at a time; remembers what was answered 2xx."""

    def __init__(self, chaos: ChaosHub, seed: int) -> None:
        self.chaos, self.rng = chaos, random.Random(seed)
        self.http = httpx.Client(timeout=10.0, limits=httpx.Limits(max_connections=4))
        self.operator = {"Authorization": f"Bearer {mint_token(DEV_SECRET, role='operator')}"}
        self.inspector = {"Authorization": f"Bearer {mint_token(DEV_SECRET, role='inspector')}"}
        self.units: list[str] = []
        self.accepted: dict[str, set[str]] = {"unit": set(), "finding": set(), "published": set(), "mounted": set()}
        self.refused: Counter[str] = Counter()
        self.drafts: list[tuple[str, str]] = []  # (unit, code) created, not yet published
        self.published: list[tuple[str, str]] = []

    def _call(self, what: str, method: str, url: str, headers: dict[str, str], **kw: Any) -> httpx.Response | None:
        try:
            r = self.http.request(method, url, headers=headers, **kw)
        except httpx.HTTPError:
            self.refused[what] += 1
            return None
        if r.status_code >= 300:
            self.refused[what] += 1
            return None
        return r

    def dept(self, unit: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_token(DEV_SECRET, role='department', unit=unit)}"}

    def step(self, lane: str) -> None:
        """One write: the "scoring" lane records findings, the "catalog" lane the rest (two lanes, so
        a stalled service holds up only its own writes)."""
        rng, c = self.rng, self.chaos
        roll = 0.3 if lane == "scoring" and self.units else rng.choice([0.05, *[rng.uniform(0.55, 1)] * 6])
        if not self.units or roll < 0.12:
            unit = make_uscc("450000", uuid.uuid4().hex[:8].upper())
            body = {"uscc": unit, "name": f"自治区故障测试{len(self.units)}厅", "kind": "department",
                    "division_code": "450000"}
            if self._call("unit", "PUT", f"{c.url('catalog')}/units/{unit}", self.operator, json=body):
                self.units.append(unit)
                self.accepted["unit"].add(unit)
        elif roll < 0.55:
            unit, item = rng.choice(self.units), rng.choice(FLAG_ITEMS)
            finding_id = f"f-{uuid.uuid4().hex[:12]}"
            body = {"finding_id": finding_id, "unit": unit, "item": item, "effect": "holds",
                    "occurred_at": datetime.now(UTC).isoformat()}
            if self._call("finding", "POST", f"{c.url('scoring')}/findings", self.inspector, json=body):
                self.accepted["finding"].add(finding_id)
        elif roll < 0.75 or not self.drafts:
            unit = rng.choice(self.units)
            body = {"provider": unit, "metadata": {
                "name": f"故障测试资源{uuid.uuid4().hex[:6]}", "share_type": "unconditional", "update_cycle": "monthly",
                "items": [{"name": "编号", "type": "string", "length": 32}]}}
            r = self._call("resource", "POST", f"{c.url('catalog')}/resources", self.dept(unit), json=body)
            if r is not None:
                self.drafts.append((unit, r.json()["code"]))
        elif roll < 0.9 or not self.published:
            unit, code = self.drafts.pop(rng.randrange(len(self.drafts)))
            # Submitted, then approved by the bureau with no notice: published. A submission that went through
            # before (its answer lost to a fault) is a 409 now, and the approval still stands on it.
            self._call("submitted", "POST", f"{c.url('catalog')}/resources/{code}/submit", self.dept(unit))
            if self._call("published", "POST", f"{c.url('catalog')}/resources/{code}/review", self.operator,
                          json={"decision": "approve", "notice_days": 0}):
                self.accepted["published"].add(code)
                self.published.append((unit, code))
            else:
                self.drafts.append((unit, code))
        else:
            unit, code = self.published.pop(rng.randrange(len(self.published)))
            body = {"kind": "table", "system": "故障测试库", "table": f"t_{code[-6:]}"}
            if self._call("mounted", "PUT", f"{c.url('catalog')}/resources/{code}/mount", self.dept(unit), json=body):
                self.accepted["mounted"].add(code)


def run_chaos(home: Path, *, broker: str, faults: int, writes: int, seed: int = 1,
              kinds: tuple[str, ...] | None = None, settle_timeout: float = 180.0) -> Report:
    rng = random.Random(seed)
    pace = 0.05
    chaos = ChaosHub(home, broker)
    report = Report(broker=broker)
    started = time.monotonic()
    chaos.start()
    try:
        work = Workload(chaos, seed)
        stop = threading.Event()

        def write_loop(lane: str, count: int) -> None:
            # Paced, so that writes keep flowing for as long as faults are being injected.
            n = 0
            while not stop.is_set() and n < count:
                work.step(lane)
                n += 1
                time.sleep(pace)

        writers = [threading.Thread(target=write_loop, args=("catalog", writes // 2), daemon=True),
                   threading.Thread(target=write_loop, args=("scoring", writes - writes // 2), daemon=True)]
        for writer in writers:
            writer.start()
        menu = list(kinds or (TANSU_FAULTS if broker == "tansu" else FAULTS))
        # Every kind once first (in random order), then at random.
        plan = rng.sample(menu, len(menu))[:faults] + [rng.choice(menu) for _ in range(max(0, faults - len(menu)))]
        for fault in plan:
            time.sleep(rng.uniform(0.5, 2.5))
            chaos.inject(fault, rng)
            report.faults[fault] += 1
        stop.set()
        for writer in writers:
            writer.join(timeout=120)
        report.accepted = Counter({k: len(v) for k, v in work.accepted.items()})
        report.refused = work.refused
        asyncio.run(_settle_and_check(chaos, work, report, settle_timeout))
    finally:
        chaos.stop()
        report.seconds = time.monotonic() - started
    return report


async def _settle_and_check(chaos: ChaosHub, work: Workload, report: Report, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        stuck = await _not_settled(chaos, work)
        if not stuck:
            break
        if time.monotonic() > deadline:
            report.stuck = stuck
            break
        await asyncio.sleep(1.0)
    conn = await asyncpg.connect(chaos.hub.database_url)
    try:
        await _check(conn, work, report)
    finally:
        await conn.close()


async def _not_settled(chaos: ChaosHub, work: Workload) -> list[str]:
    """What is still moving: consumer lag, unsent outbox rows, accepted writes not archived yet."""
    found = []
    async with httpx.AsyncClient(timeout=15) as client:
        for name in NAMES:
            try:
                body = (await client.get(f"{chaos.url(name)}/ops/status", headers=work.operator)).json()
            except (httpx.HTTPError, ValueError):
                found.append(f"{name} not answering")
                continue
            found += [f"{c['consumer']} lag {c['lag']}" for c in body.get("consumers", []) if c["lag"] != 0]
            relay = body.get("relay") or {}
            if relay.get("unsent", 1):
                found.append(f"{name} relay unsent {relay.get('unsent')}")
    return found


async def _archive_facts(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    return [orjson.loads(r["envelope"]) for r in await conn.fetch("SELECT envelope FROM scoring.archive")]


async def _check(conn: asyncpg.Connection, work: Workload, report: Report) -> None:
    archived = await _archive_facts(conn)
    ids = Counter(e["id"] for e in archived)
    report.archived = len(archived)
    report.applied_twice = sum(n - 1 for n in ids.values() if n > 1)
    outbox_rows: list[bytes] = []
    for schema in NAMES:
        outbox_rows += [bytes(r["payload"]) for r in await conn.fetch(
            f"SELECT payload FROM {schema}.outbox WHERE topic = ANY($1::text[])", FACT_TOPICS)]
    union = {orjson.loads(p)["id"]: p for p in outbox_rows}
    report.outbox_facts = len(union)
    report.lost += [f"{orjson.loads(p)['type']} {i}" for i, p in union.items() if i not in ids]
    # Every accepted write, by what it must have produced.
    seen = {("unit", e["unit"]) for e in archived if e["type"] == "registry.unit-registered"}
    seen |= {("finding", e["data"]["finding_id"]) for e in archived if e["type"] == "scoring.finding-recorded"}
    seen |= {("published", e["data"]["resource_code"]) for e in archived if e["type"] == "catalog.resource-published"}
    seen |= {("mounted", e["data"]["resource_code"]) for e in archived if e["type"] == "catalog.resource-mounted"}
    report.lost += [f"{kind} {key}" for kind, keys in work.accepted.items() for key in keys if (kind, key) not in seen]
    # Live scores against the replay of the union, as of the live watermark.
    watermark = await conn.fetchval("SELECT watermark FROM scoring.projection_state")
    months = {r["month"] for r in await conn.fetch("SELECT DISTINCT month FROM scoring.scores")}
    lines = list(enumerate(union.values(), start=1))
    for month in sorted(months):
        outcome = replay(lines, builtin_ruleset(), month, as_of=watermark)
        doc = orjson.loads(outcome.result.replay_json())
        audit = {u["unit"]: (u["x"], u["y"], u["total"], u["band"], u["list"]) for u in doc["units"]}
        live = {r["unit"]: (str(r["x"]), str(r["y"]), str(r["total"]), r["band"], r["list"]) for r in await conn.fetch(
            "SELECT unit, x, y, total, band, list FROM scoring.scores WHERE month = $1", month)}
        report.score_mismatches += [f"{month} {u}" for u in set(live) | set(audit) if live.get(u) != audit.get(u)]
