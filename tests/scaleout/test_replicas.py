"""#21 part 3 in part: two replicas each of the catalog and the exchange on one database and the real broker.
Writes go to either replica; both run their outbox relays, consumers (one group: the partitions are shared) and
clock watchers side by side. Every step is said exactly once: each write's event, each review and request
flagged overdue (both watchers race for it), each publication at the end of a public notice."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from catalog.bootstrap import create_app as catalog_app
from catalog.settings import CatalogSettings
from contracts import decode
from contracts.event_types import REGISTRY, topic_for
from exchange.bootstrap import create_app as exchange_app
from exchange.settings import ExchangeSettings
from hubkit.testing import running_app, token

from tests.catalog.test_resources import metadata, new_unit, register

pytestmark = pytest.mark.integration
OPERATOR = token("operator")
TOPICS = sorted(topic_for(t) for t in REGISTRY if t.startswith(("registry.", "catalog.", "exchange.request")))


async def said(bootstrap: str, units: set[str], expect: int, settle: float = 2.0) -> list[Any]:
    """Every catalog and request event of these units: read until `expect` arrived, then `settle` seconds more,
    so a duplicate would be seen too."""
    consumer = AIOKafkaConsumer(*TOPICS, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    found: list[Any] = []
    try:
        loop = asyncio.get_running_loop()
        deadline, settled_at = loop.time() + 60, None
        while loop.time() < deadline and (settled_at is None or loop.time() < settled_at):
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for r in records:
                    try:
                        env = decode(r.value or b"")
                    except Exception:  # other tests put malformed messages on the shared topics on purpose
                        continue
                    if env.unit in units:
                        found.append(env)
            if settled_at is None and len(found) >= expect:
                settled_at = loop.time() + settle
    finally:
        await consumer.stop()
    return found


async def file_request(client: httpx.AsyncClient, requester: str, code: str) -> str:
    """Once the exchange heard of the resource from the catalog's events (a moment after its publication)."""
    for _ in range(200):
        filed = await client.post("/requests", headers=token("department", requester),
                                  json={"resource_code": code, "purpose": "副本测试"})
        if filed.status_code != 404:
            break
        await asyncio.sleep(0.1)
    assert filed.status_code == 201, filed.text
    rid: str = filed.json()["id"]
    return rid


async def both(clients: tuple[httpx.AsyncClient, httpx.AsyncClient], now: str) -> None:
    for client in clients:  # each replica keeps its own (simulated) clock
        assert (await client.put("/admin/clock", headers=OPERATOR, json={"now": now})).status_code == 200


async def test_two_replicas_of_the_catalog_and_the_exchange_say_every_step_once(
    database_url: str, kafka_bootstrap: str
) -> None:
    common = dict(database_url=database_url, kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.05,
                  simulated_clock=True, simulated_start="2019-08-01T09:00:00+08:00")
    catalog = CatalogSettings(**common)  # type: ignore[arg-type]
    exchange = ExchangeSettings(**common)  # type: ignore[arg-type]
    provider, requester = new_unit(), new_unit()
    async with running_app(catalog_app(catalog)) as a, running_app(catalog_app(catalog)) as b, \
            running_app(exchange_app(exchange)) as x, running_app(exchange_app(exchange)) as y:
        cats, exs = (a, b), (x, y)
        await register(a, provider, "自治区副本测试局")
        await register(b, requester, "自治区副本申请厅")
        dept = token("department", provider)
        codes = []
        for n in range(6):  # alternate replicas for every write
            one, other = cats[n % 2], cats[(n + 1) % 2]
            share = {"share_type": "conditional", "share_condition": "仅用于监管"}
            made = await one.post("/resources", headers=dept, json={"provider": provider, "metadata": metadata(
                f"副本资源{n}", **share)})
            assert made.status_code == 201, made.text
            codes.append(made.json()["code"])
            assert (await other.post(f"/resources/{codes[-1]}/submit", headers=dept)).status_code == 200
        for n, code in enumerate(codes[:4]):  # two at once, two after a day of public notice; two undecided
            body = {"decision": "approve", "notice_days": 0 if n < 2 else 1}
            assert (await cats[n % 2].post(f"/resources/{code}/review", headers=OPERATOR, json=body)).status_code == 200
        await both(cats, "2019-08-09T09:00:00+08:00")  # past the notice (Fri 2nd) and the review deadline (8th)
        for _ in range(100):
            statuses = [(await a.get(f"/resources/{c}", headers=OPERATOR)).json()["status"] for c in codes[2:4]]
            if statuses == ["published", "published"]:
                break
            await asyncio.sleep(0.1)
        assert statuses == ["published", "published"]

        # The exchange: requests filed and forwarded through either replica, left undecided past the deadline.
        rids = [await file_request(exs[n % 2], requester, code) for n, code in enumerate(codes[:3])]
        for n, rid in enumerate(rids):
            assert (await exs[(n + 1) % 2].post(f"/requests/{rid}/review", headers=OPERATOR,
                                                json={"passed": True})).status_code == 200
        await both(exs, "2019-08-30T09:00:00+08:00")
        expected = {"registry.unit-registered": 2, "catalog.review-submitted": 6, "catalog.review-decided": 4,
                    "catalog.resource-published": 4, "catalog.review-overdue": 2,
                    "exchange.request-submitted": 3, "exchange.request-forwarded": 3, "exchange.request-overdue": 3}
        events = await said(kafka_bootstrap, {provider, requester}, expect=sum(expected.values()))
    counts = Counter(e.type for e in events)
    assert {t: counts[t] for t in expected} == expected, counts
    assert len({e.id for e in events}) == len(events)  # no event twice
    overdue = Counter(e.data.request_id for e in events if e.type == "exchange.request-overdue")
    assert overdue == Counter(rids)
    flagged = Counter(e.data.resource_code for e in events if e.type == "catalog.review-overdue")
    assert flagged == Counter(codes[4:])
