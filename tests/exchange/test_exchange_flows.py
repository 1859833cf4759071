"""More of the exchange over the real database and broker: a conditional request from submission to an
active subscription (each event once, with the right instants), what a department may see, reminders,
the overdue watcher on a simulated clock (exactly one event), the gateway's deny-by-default (the
provider is never reached) and one call-failed per failed call, and a catalog read model that ends
the same whatever order the catalog's events arrive in."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from contracts import decode, new_envelope
from contracts.catalog import ResourceMetadataChanged, ResourceMounted, ResourcePublished, ResourceUnmounted
from contracts.values import build_resource_code
from contracts.workdays import SHANGHAI
from exchange.bootstrap import create_app
from exchange.messaging import catalog_feed
from exchange.messaging.overdue import flag_overdue
from exchange.settings import ExchangeSettings
from fastapi import FastAPI
from hubkit.runtime.ports import free_port
from hubkit.testing import running_app, serving, token
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.exchange.test_exchange import TOPICS, publish_catalog, unit, until_known

pytestmark = pytest.mark.integration
OPERATOR = token("operator")


async def settled_events(bootstrap: str, units: set[str], expect: int, settle: float = 1.0,
                         timeout: float = 30.0) -> list[tuple[str, Any]]:
    """The exchange's events of these units: read until `expect` arrived, then `settle` seconds more, so
    that a duplicate or an extra event would be seen too."""
    consumer = AIOKafkaConsumer(*TOPICS, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    found: list[tuple[str, Any]] = []
    try:
        loop = asyncio.get_running_loop()
        deadline, settled_at = loop.time() + timeout, None
        while loop.time() < deadline and (settled_at is None or loop.time() < settled_at):
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                found += [(e.type, e) for e in (decode(r.value or b"") for r in records) if e.unit in units]
            if settled_at is None and len(found) >= expect:
                settled_at = loop.time() + settle
    finally:
        await consumer.stop()
    return found


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


PROVIDER_PORT, DEAD_PORT = free_port(), free_port()
LOCAL_PROVIDERS = f"127.0.0.1:{PROVIDER_PORT},127.0.0.1:{DEAD_PORT}"


@pytest.fixture
async def exchange(database_url: str, kafka_bootstrap: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = ExchangeSettings(database_url=database_url, kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.1,
                                simulated_clock=True, simulated_start="2019-08-05T09:00:00+08:00",
                                egress_allow=LOCAL_PROVIDERS)
    async with running_app(create_app(settings)) as c:
        yield c


def app_of(client: httpx.AsyncClient) -> FastAPI:
    app: FastAPI = client._transport.app  # type: ignore[attr-defined]
    return app


async def move_clock(client: httpx.AsyncClient, to: str) -> None:
    r = await client.put("/admin/clock", headers=OPERATOR, json={"now": to})
    assert r.status_code == 200, r.text


async def test_conditional_request_to_subscription_with_each_event_once(
    exchange: httpx.AsyncClient, kafka_bootstrap: str
) -> None:
    provider, requester, other = unit(), unit(), unit()
    [code] = await publish_catalog(kafka_bootstrap, provider, [
        {"name": "企业社保缴纳信息", "share_type": "conditional", "share_condition": "仅用于资格审核"}])
    await until_known(exchange, [code])
    mine, prov, theirs = token("department", requester), token("department", provider), token("department", other)

    req = await exchange.post("/requests", headers=mine, json={"resource_code": code, "purpose": "资格审核"})
    assert req.status_code == 201
    rid = req.json()["id"]
    assert req.json()["deadline"] == "2019-08-08T00:00:00+08:00" and req.json()["working_days_left"] == 3
    assert rid not in [r["id"] for r in (await exchange.get("/reminders", headers=OPERATOR)).json()]

    # A department sees only what it asked for or was asked: another unit sees nothing of it.
    assert rid not in [r["id"] for r in (await exchange.get("/requests", headers=theirs)).json()]
    assert (await exchange.get(f"/requests/{rid}", headers=theirs)).status_code == 404
    assert (await exchange.get("/requests", headers=theirs, params={"unit": requester})).json() == []
    assert (await exchange.get("/queues/review", headers=theirs)).status_code == 403
    assert (await exchange.get(f"/requests/{rid}", headers=mine)).json()["status"] == "submitted"
    # Nothing reaches the gateway before the subscription is active.
    assert (await exchange.post(f"/gateway/{code}/query", headers=mine, json={})).status_code == 403

    await move_clock(exchange, "2019-08-07T09:00:00+08:00")
    [reminder] = [r for r in (await exchange.get("/reminders", headers=OPERATOR)).json() if r["id"] == rid]
    assert reminder["queue"] == "review" and reminder["working_days_left"] == 1
    fwd = (await exchange.post(f"/requests/{rid}/review", headers=OPERATOR, json={"passed": True})).json()
    assert fwd["status"] == "forwarded" and fwd["forwarded_at"] == "2019-08-07T09:00:00+08:00"
    assert fwd["provider_due"] == "2019-08-13T00:00:00+08:00"  # Thu 08-08, Fri 08-09, Mon 08-12
    again = await exchange.post(f"/requests/{rid}/review", headers=OPERATOR, json={"passed": True})
    assert again.status_code == 409 and "is forwarded" in again.json()["detail"]
    assert (await exchange.get("/queues/provider", headers=mine)).json() == []  # not the requester's queue
    [item] = (await exchange.get("/queues/provider", headers=prov)).json()
    assert item["id"] == rid and item["working_days_left"] == 4 and item["deadline"] == fwd["provider_due"]
    assert (await exchange.get("/reminders", headers=prov)).json() == []

    await move_clock(exchange, "2019-08-12T10:00:00+08:00")
    [reminder] = (await exchange.get("/reminders", headers=prov)).json()
    assert reminder["id"] == rid and reminder["working_days_left"] == 1
    approved = await exchange.post(f"/requests/{rid}/decision", headers=prov, json={"approve": True})
    assert approved.json()["status"] == "approved" and approved.json()["reply_due"] == "2019-08-15T00:00:00+08:00"
    assert (await exchange.post(f"/gateway/{code}/query", headers=mine, json={})).status_code == 403  # not yet
    active = (await exchange.post(f"/requests/{rid}/reply", headers=OPERATOR)).json()
    assert active["status"] == "active" and active["activated_at"] == "2019-08-12T10:00:00+08:00"

    # Quality disputes: reported whenever a problem is found (seed 003 §22(五): within 2 working days of
    # finding it; later still taken, marked late); the provider answers within 3 working days.
    await move_clock(exchange, "2019-08-14T23:00:00+08:00")
    dispute = await exchange.post("/disputes", headers=mine, json={"resource_code": code, "description": "信息项缺失"})
    assert dispute.status_code == 201 and dispute.json()["answer_due"] == "2019-08-20T00:00:00+08:00"
    assert dispute.json()["reported_late"] is False
    assert [d["id"] for d in (await exchange.get("/disputes", headers=prov)).json()] == [dispute.json()["id"]]
    assert (await exchange.get("/disputes", headers=theirs)).json() == []
    await move_clock(exchange, "2019-08-15T00:00:00+08:00")
    # found on Monday 12th: Tuesday 13th and Wednesday 14th have passed, so the report is late, and taken
    late = await exchange.post("/disputes", headers=mine, json={"resource_code": code, "description": "数据不准确",
                                                                "found_at": "2019-08-12T09:00:00+08:00"})
    assert late.status_code == 201 and late.json()["reported_late"] is True
    naive = await exchange.post("/disputes", headers=mine, json={"resource_code": code, "description": "x",
                                                                 "found_at": "2019-08-12T09:00:00"})
    assert naive.status_code == 422  # an instant without its offset is refused
    dismissed = await exchange.post(f"/disputes/{dispute.json()['id']}/answer", headers=prov,
                                    json={"upheld": False, "answer": "数据与源系统一致"})
    assert dismissed.json() == {"id": dispute.json()["id"], "status": "dismissed", "late": False}

    events = await settled_events(kafka_bootstrap, {provider}, expect=3)
    assert Counter(t for t, _ in events) == {"exchange.request-submitted": 1, "exchange.request-forwarded": 1,
                                              "exchange.request-approved": 1}
    by_type = {t: e for t, e in events}
    submitted, forwarded = by_type["exchange.request-submitted"], by_type["exchange.request-forwarded"]
    approval = by_type["exchange.request-approved"]
    assert submitted.data.requester_unit == requester and submitted.data.resource_code == code
    assert submitted.occurred_at == sh(2019, 8, 5, 9)
    assert forwarded.occurred_at == sh(2019, 8, 7, 9) and forwarded.data.data_kind == "government"
    assert approval.occurred_at == sh(2019, 8, 12, 10) and approval.data.forwarded_at == sh(2019, 8, 7, 9)
    assert {e.data.request_id for _, e in events} == {rid}


async def test_overdue_is_emitted_exactly_once_on_the_simulated_clock(
    exchange: httpx.AsyncClient, kafka_bootstrap: str
) -> None:
    provider, requester = unit(), unit()
    [code] = await publish_catalog(kafka_bootstrap, provider, [
        {"name": "建设工程处罚信息", "share_type": "conditional", "classification": "监管数据/住房城乡建设/行政处罚"}])
    await until_known(exchange, [code])
    host = app_of(exchange).state.host
    await move_clock(exchange, "2019-09-27T10:00:00+08:00")
    rid = (await exchange.post("/requests", headers=token("department", requester),
                               json={"resource_code": code, "purpose": "联合惩戒"})).json()["id"]
    fwd = (await exchange.post(f"/requests/{rid}/review", headers=OPERATOR, json={"passed": True})).json()
    # Supervision data, forwarded Fri 09-27: 09-29, 09-30, 10-08, 10-09, 10-10 → 24:00 of Thu 10-10.
    assert fwd["provider_due"] == "2019-10-11T00:00:00+08:00"

    await move_clock(exchange, "2019-10-10T23:59:59+08:00")
    assert await flag_overdue(host) == 0
    [item] = (await exchange.get("/queues/provider", headers=token("department", provider))).json()
    assert item["overdue"] is False and item["working_days_left"] == 1

    await move_clock(exchange, "2019-10-11T00:00:00+08:00")
    flagged = await asyncio.gather(*(flag_overdue(host) for _ in range(4)))  # racing the watcher too
    assert sum(flagged) <= 1
    await asyncio.sleep(1.0)  # the watcher's pass
    assert await flag_overdue(host) == 0
    [item] = (await exchange.get("/queues/provider", headers=token("department", provider))).json()
    assert item["overdue"] is True and item["working_days_left"] == 0
    stats = {s["provider"]: s for s in (await exchange.get("/stats/providers", headers=OPERATOR)).json()}
    assert stats[provider]["requests_pending"] == 1 and stats[provider]["requests_overdue"] == 1

    # A later move of the clock, and a late decision, flag nothing again.
    await move_clock(exchange, "2019-10-15T09:00:00+08:00")
    assert await flag_overdue(host) == 0
    late = await exchange.post(f"/requests/{rid}/decision", headers=token("department", provider),
                               json={"approve": False, "reason": "执法用途需另行函商"})
    assert late.json()["status"] == "rejected"
    await asyncio.sleep(1.0)

    events = await settled_events(kafka_bootstrap, {provider}, expect=4)
    counts = Counter(t for t, _ in events)
    assert counts["exchange.request-overdue"] == 1 and counts["exchange.request-rejected"] == 1
    overdue = next(e for t, e in events if t == "exchange.request-overdue")
    assert overdue.data.request_id == rid and overdue.data.data_kind == "supervision"
    assert overdue.data.deadline == sh(2019, 10, 11) and overdue.occurred_at == sh(2019, 10, 11)
    assert overdue.data.forwarded_at == sh(2019, 9, 27, 10)
    rejected = next(e for t, e in events if t == "exchange.request-rejected")
    assert rejected.data.reason == "执法用途需另行函商" and rejected.occurred_at == sh(2019, 10, 15, 9)


def counting_provider(hits: Counter[str]) -> Starlette:
    async def echo(request: Request) -> Response:
        hits[request.url.path] += 1
        return JSONResponse({"method": request.method, "body": (await request.body()).decode(),
                             "q": request.query_params.get("q")})

    async def slow(request: Request) -> Response:
        hits[request.url.path] += 1
        await asyncio.sleep(1.5)
        return JSONResponse({})

    async def boom(request: Request) -> Response:
        hits[request.url.path] += 1
        return Response("internal error", status_code=503)

    async def bad(request: Request) -> Response:
        hits[request.url.path] += 1
        return Response(b'{"truncated": ', media_type="application/json")

    return Starlette(routes=[Route("/echo", echo, methods=["GET", "POST"]), Route("/slow", slow),
                             Route("/boom", boom), Route("/bad", bad)])


async def test_gateway_denies_by_default_and_emits_one_call_failed_per_failed_call(
    exchange: httpx.AsyncClient, kafka_bootstrap: str
) -> None:
    provider, consumer, stranger = unit(), unit(), unit()
    [api, dead, bare] = await publish_catalog(kafka_bootstrap, provider, [
        {"name": "不动产登记查询接口", "share_type": "unconditional"},
        {"name": "已下线接口", "share_type": "unconditional"},
        {"name": "未登记地址的接口", "share_type": "unconditional"}])
    await until_known(exchange, [api, dead, bare])
    mine, prov = token("department", consumer), token("department", provider)
    for code in (api, dead, bare):
        assert (await exchange.post("/requests", headers=mine, json={"resource_code": code, "purpose": "核验"})
                ).json()["status"] == "active"
    hits: Counter[str] = Counter()
    async with serving(counting_provider(hits), port=PROVIDER_PORT) as upstream:
        assert (await exchange.put(f"/endpoints/{api}", headers=OPERATOR,
                                   json={"base_url": upstream, "timeout_ms": 300})).status_code == 200
        await exchange.put(f"/endpoints/{dead}", headers=prov, json={"base_url": f"http://127.0.0.1:{DEAD_PORT}"})

        # Deny by default: no subscription, no call; the provider never sees it.
        for method in ("GET", "POST"):
            denied = await exchange.request(method, f"/gateway/{api}/echo", headers=token("department", stranger))
            assert denied.status_code == 403 and "no active subscription" in denied.json()["detail"]
        assert (await exchange.get(f"/gateway/{api}/echo", headers=OPERATOR)).status_code == 403
        unknown = build_resource_code("450000", provider, 99)
        assert (await exchange.get(f"/gateway/{unknown}/echo", headers=mine)).status_code == 404
        assert hits["/echo"] == 0

        got = await exchange.get(f"/gateway/{api}/echo", headers=mine, params={"q": "450103"})
        assert got.status_code == 200 and got.json()["q"] == "450103" and got.headers["X-Hub-Call-Id"]
        posted = await exchange.post(f"/gateway/{api}/echo", headers=mine, json={"uscc": consumer})
        assert posted.json() == {"method": "POST", "body": f'{{"uscc":"{consumer}"}}', "q": None}
        assert hits["/echo"] == 2

        failures: dict[str, str] = {}
        for code, path, kind, status in ((api, "slow", "timeout", 504), (api, "boom", "server_error", 502),
                                         (api, "bad", "bad_response", 502), (dead, "echo", "unavailable", 502),
                                         (bare, "echo", "unavailable", 502)):
            r = await exchange.get(f"/gateway/{code}/{path}", headers=mine)
            assert r.status_code == status and r.headers["content-type"] == "application/problem+json"
            assert r.json()["type"].endswith(f"call-{kind}")
            failures[r.json()["call_id"]] = kind
        assert hits["/slow"] == hits["/boom"] == hits["/bad"] == 1

    pool = app_of(exchange).state.host.pool
    rows = await pool.fetch("SELECT * FROM calls WHERE provider = $1 ORDER BY started_at", provider)
    assert len(rows) == 7 and all(r["consumer"] == consumer and not r["reported"] for r in rows)
    assert {r["id"]: r["error"] for r in rows if not r["succeeded"]} == failures
    ok = [r for r in rows if r["succeeded"]]
    assert [r["status_code"] for r in ok] == [200, 200] and all(r["response_bytes"] > 0 for r in ok)
    assert ok[1]["request_bytes"] == len(f'{{"uscc":"{consumer}"}}')
    slow = next(r for r in rows if r["error"] == "timeout")
    assert 250 <= slow["duration_ms"] < 1500 and slow["status_code"] is None
    assert next(r for r in rows if r["error"] == "server_error")["status_code"] == 503
    assert all(r["ended_at"] >= r["started_at"] for r in rows)

    events = await settled_events(kafka_bootstrap, {provider}, expect=9 + 5)
    failed = [e for t, e in events if t == "exchange.call-failed"]
    assert sorted(e.data.call_id for e in failed) == sorted(failures)  # exactly one per failed call
    assert all(e.data.error == failures[e.data.call_id] and e.data.consumer_unit == consumer for e in failed)
    assert all(e.unit == provider and e.occurred_at == sh(2019, 8, 5, 9) for e in failed)


async def test_catalog_read_model_ends_the_same_whatever_the_arrival_order(exchange: httpx.AsyncClient) -> None:
    provider = unit()
    code = build_resource_code("450000", provider, 1)
    t = sh(2019, 8, 1, 9)
    base: dict[str, Any] = {"resource_code": code, "share_type": "conditional", "update_cycle": "daily"}
    published = ResourcePublished(name="行政处罚决定书", classification="监管数据/市场监管", **base)
    changed = ResourceMetadataChanged(name="行政处罚决定书", share_condition="仅限执法", **{
        **base, "share_type": "not_shared"}, share_basis="《政府信息公开条例》第十四条")
    mounted = ResourceMounted(resource_code=code, mount_kind="api")
    unmounted = ResourceUnmounted(resource_code=code, reason="接口改造")
    pool = app_of(exchange).state.host.pool
    # Arrival order: mount (t+1d), metadata change (t+2d), unmount from before the mount (t+12h),
    # then the publication itself (t).
    for payload, at in ((mounted, t + timedelta(days=1)), (changed, t + timedelta(days=2)),
                        (unmounted, t + timedelta(hours=12)), (published, t)):
        async with pool.acquire() as conn, conn.transaction():
            await catalog_feed.apply(conn, new_envelope(payload, unit=provider, occurred_at=at))
    row = await pool.fetchrow("SELECT * FROM resources WHERE code = $1", code)
    assert row["provider"] == provider and row["mounted"] is True and row["mount_kind"] == "api"
    assert row["share_type"] == "not_shared" and row["share_basis"] == "《政府信息公开条例》第十四条"
    assert row["data_kind"] == "government"  # the newer metadata has no supervision classification
    assert row["published_at"] == t

    # A later unmount does apply.
    async with pool.acquire() as conn, conn.transaction():
        await catalog_feed.apply(conn, new_envelope(unmounted, unit=provider, occurred_at=t + timedelta(days=3)))
    assert await pool.fetchval("SELECT mounted FROM resources WHERE code = $1", code) is False

    refused = await exchange.post("/requests", headers=token("department", unit()),
                                  json={"resource_code": code, "purpose": "执法"})
    assert refused.json()["status"] == "refused" and "第十四条" in refused.json()["reason"]
