"""The live projection over the real broker and database: scores equal replay, restarts and
duplicates change nothing, deductions are alerted through the outbox."""

import asyncio
import uuid
from datetime import datetime
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import orjson
import pytest
from contracts import DEADLETTER_TOPIC, Envelope, encode, new_envelope
from contracts.exchange import CallFailed
from contracts.registry_events import UnitRegistered
from contracts.values import build_resource_code, make_uscc
from hubkit.kafka import make_producer
from hubkit.settings import HubSettings
from hubkit.testing import read_topic, running_app
from scoring.bootstrap import create_app
from scoring.domain.ruleset import builtin_ruleset
from scoring.replay import replay
from scoring.settings import ScoringSettings

pytestmark = pytest.mark.integration
SH = ZoneInfo("Asia/Shanghai")


def unique_unit() -> str:
    return make_uscc("450000", uuid.uuid4().hex[:8].upper())


def registered(unit: str, name: str) -> Envelope:
    return new_envelope(UnitRegistered(name=name, kind="department", division_code="450000", parent_unit=None,
                                       absent_indicators=[]),
                        unit=unit, occurred_at=datetime(2019, 7, 1, 9, 0, tzinfo=SH))


def failed_call(provider: str, consumer: str, day: int, hour: int = 10) -> Envelope:
    code = build_resource_code("450000", provider, 1)
    return new_envelope(CallFailed(call_id=uuid.uuid4().hex, resource_code=code, consumer_unit=consumer,
                                   data_kind="government", error="timeout"),
                        unit=provider, occurred_at=datetime(2019, 8, day, hour, 0, tzinfo=SH))


async def publish(bootstrap: str, events: list[Envelope]) -> None:
    producer = make_producer(HubSettings(kafka_bootstrap=bootstrap))
    await producer.start()
    try:
        for env in events:
            await producer.send_and_wait(env.topic, value=encode(env), key=env.unit.encode())
    finally:
        await producer.stop()


async def score_of(url: str, unit: str, month: str = "2019-08") -> asyncpg.Record | None:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchrow("SELECT * FROM scoring.scores WHERE unit = $1 AND month = $2", unit, month)
    finally:
        await conn.close()


async def wait_score(url: str, unit: str, x: str, timeout: float = 30.0) -> asyncpg.Record:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        row = await score_of(url, unit)
        if row is not None and row["x"] == Decimal(x):
            return row
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"score of {unit} is {row and row['x']}, expected X = {x}")
        await asyncio.sleep(0.1)


def replayed(events: list[Envelope], unit: str) -> dict[str, object]:
    lines = [(n, encode(e)) for n, e in enumerate(events, start=1)]
    outcome = replay(lines, builtin_ruleset(), "2019-08")
    doc = orjson.loads(outcome.result.replay_json())
    return next(u for u in doc["units"] if u["unit"] == unit)


async def test_live_scores_equal_replay_survive_restart_and_ignore_duplicates(
    database_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    provider, consumer = unique_unit(), unique_unit()
    events = [registered(provider, "自治区测试厅"), registered(consumer, "自治区用数厅"),
              failed_call(provider, consumer, 5), failed_call(provider, consumer, 5, 11),  # same day: one finding
              failed_call(provider, consumer, 6)]
    await publish(kafka_bootstrap, events)
    settings = ScoringSettings(submissions="none", inventory="none",  # about other things: no submission is asked
                               database_url=database_url, kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.1)

    async with running_app(create_app(settings)):
        row = await wait_score(database_url, provider, "96.00")
    expected = replayed(events, provider)
    assert expected["items"] == {"B1.8": "4"}
    assert (str(row["x"]), str(row["total"]), row["band"], row["list"]) == (
        expected["x"], expected["total"], expected["band"], expected["list"])

    # While scoring is down: a new failure, and a redelivery of an event already counted.
    later = failed_call(provider, consumer, 7)
    await publish(kafka_bootstrap, [later, events[2]])
    async with running_app(create_app(settings)):
        row = await wait_score(database_url, provider, "94.00")
        await asyncio.sleep(0.5)
    assert replayed([*events, later], provider)["x"] == "94.00"

    conn = await asyncpg.connect(database_url)
    try:
        archived = await conn.fetchval("SELECT count(*) FROM scoring.archive WHERE unit = $1", provider)
        assert archived == 5  # 1 registration + 4 distinct failures; the duplicate was not archived twice
        alerts = await conn.fetch(
            "SELECT payload FROM scoring.outbox WHERE topic = 'hub.scoring.deduction-alerted.v1' "
            "AND key = $1 ORDER BY seq", provider.encode())
        added = [orjson.loads(r["payload"])["data"] for r in alerts]
        # How the failures were split into batches decides how many alerts; never what they add up to.
        assert {a["item"] for a in added} == {"B1.8"}
        assert sum(Decimal(a["points_added"]) for a in added) == Decimal(6)
        assert added[-1]["item_points"] == "6.00" and str(later.id) in added[-1]["cause_event_ids"]
        ledger = await conn.fetch(
            "SELECT total FROM scoring.score_ledger WHERE unit = $1 AND month = '2019-08' ORDER BY position", provider)
        totals = [Decimal(r["total"]) for r in ledger]
        assert totals[-1] == Decimal("94.00") and Decimal("96.00") in totals
        assert all(a > b for a, b in pairwise(totals)), totals
    finally:
        await conn.close()


async def test_an_event_on_another_types_topic_is_dead_lettered_not_scored(
    database_url: str, kafka_bootstrap: str
) -> None:
    """The broker says who may write each topic (one principal per service, writing the topics of the events it
    is the source of); a fact is as trustworthy as the topic it came from only if its type belongs there. A
    call failure written on a catalog topic (the catalog may write that topic, not exchange facts) is not the
    exchange's statement: before, the projection folded it and charged the provider."""
    provider, consumer = unique_unit(), unique_unit()
    misplaced = failed_call(provider, consumer, 5)
    await publish(kafka_bootstrap, [registered(provider, "自治区测试厅"), registered(consumer, "自治区用数厅")])
    producer = make_producer(HubSettings(kafka_bootstrap=kafka_bootstrap))
    await producer.start()
    try:
        await producer.send_and_wait("hub.catalog.resource-updated.v1", value=encode(misplaced),
                                     key=provider.encode())
    finally:
        await producer.stop()
    await publish(kafka_bootstrap, [failed_call(provider, consumer, 6)])
    settings = ScoringSettings(submissions="none", inventory="none", database_url=database_url,
                               kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.1)
    async with running_app(create_app(settings)):
        await wait_score(database_url, provider, "98.00")  # the day-6 failure only
        letters: list[dict[str, object]] = []
        for _ in range(100):
            letters = [orjson.loads(v) for v in await read_topic(kafka_bootstrap, DEADLETTER_TOPIC, expect=10**6,
                                                                 timeout=0.5)]
            letters = [d for d in letters if d["key"] == provider and d["consumer"] == "scoring.projection"]
            if letters:
                break
    assert len(letters) == 1 and "does not belong on" in str(letters[0]["reason"])
    assert (await score_of(database_url, provider))["x"] == Decimal("98.00")
    conn = await asyncpg.connect(database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM scoring.archive WHERE event_id = $1", misplaced.id) == 0
    finally:
        await conn.close()
