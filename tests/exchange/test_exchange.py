"""The exchange over the real database and broker: the catalog read model from events, the request
workflow with deadlines and the overdue watcher, the gateway against a real local provider, reported
calls, disputes, data uses and provider statistics, each event once."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import orjson
import pytest
from contracts import decode, encode, new_envelope
from contracts.catalog import ResourcePublished
from contracts.values import build_resource_code, make_uscc
from contracts.workdays import SHANGHAI
from exchange.bootstrap import create_app
from exchange.settings import ExchangeSettings
from hubkit.kafka import make_producer
from hubkit.runtime.ports import free_port
from hubkit.settings import HubSettings
from hubkit.testing import read_topic, running_app, serving, token
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

pytestmark = pytest.mark.integration
OPERATOR = token("operator")
T0 = "2019-08-05T09:00:00+08:00"
TOPICS = ["hub.exchange.request-submitted.v1", "hub.exchange.request-forwarded.v1",
          "hub.exchange.request-approved.v1", "hub.exchange.request-rejected.v1", "hub.exchange.request-overdue.v1",
          "hub.exchange.call-failed.v1", "hub.exchange.dispute-upheld.v1", "hub.exchange.data-used.v1"]


def unit() -> str:
    return make_uscc("450000", uuid.uuid4().hex[:8].upper())


async def publish_catalog(bootstrap: str, provider: str, specs: list[dict[str, Any]]) -> list[str]:
    producer = make_producer(HubSettings(kafka_bootstrap=bootstrap))
    await producer.start()
    codes = []
    try:
        for n, spec in enumerate(specs, start=1):
            code = build_resource_code("450000", provider, n)
            payload = ResourcePublished(resource_code=code, update_cycle="daily", **spec)
            env = new_envelope(payload, unit=provider, occurred_at=datetime(2019, 8, 1, 9, tzinfo=SHANGHAI))
            await producer.send_and_wait(env.topic, encode(env), key=provider.encode())
            codes.append(code)
    finally:
        await producer.stop()
    return codes


async def events_of(bootstrap: str, units: set[str], expect: int) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for _ in range(40):
        found = [(e.type, e) for topic in TOPICS
                 for e in (decode(v) for v in await read_topic(bootstrap, topic, expect=100_000, timeout=0.3))
                 if e.unit in units]
        if len(found) >= expect:
            break
        await asyncio.sleep(0.2)
    return found


def provider_app() -> Starlette:
    async def ok(request: Request) -> Response:
        return JSONResponse({"name": "南宁某公司", "q": request.query_params.get("id")})

    async def slow(request: Request) -> Response:
        await asyncio.sleep(2)
        return JSONResponse({})

    async def boom(request: Request) -> Response:
        return Response("upstream exploded", status_code=500)

    async def bad(request: Request) -> Response:
        return Response(b"{not json", media_type="application/json")

    return Starlette(routes=[Route("/ok", ok), Route("/slow", slow), Route("/boom", boom), Route("/bad", bad)])


# The only local destinations the gateway may reach in these tests: the provider and a port nobody serves.
PROVIDER_PORT, DEAD_PORT = free_port(), free_port()
LOCAL_PROVIDERS = f"127.0.0.1:{PROVIDER_PORT},127.0.0.1:{DEAD_PORT}"


@pytest.fixture
async def client(database_url: str, kafka_bootstrap: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = ExchangeSettings(database_url=database_url, kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.1,
                                simulated_clock=True, simulated_start=T0, egress_allow=LOCAL_PROVIDERS)
    async with running_app(create_app(settings)) as c:
        yield c


async def until_known(client: httpx.AsyncClient, codes: list[str]) -> None:
    pool = client._transport.app.state.host.pool  # type: ignore[attr-defined]
    for _ in range(200):
        if await pool.fetchval("SELECT count(*) FROM resources WHERE code = ANY($1)", codes) == len(codes):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("catalog events did not reach the exchange's read model")


async def test_request_workflow_deadlines_and_overdue(client: httpx.AsyncClient, kafka_bootstrap: str) -> None:
    provider, requester, other = unit(), unit(), unit()
    free, cond, secret, sup, controlled = await publish_catalog(kafka_bootstrap, provider, [
        {"name": "企业登记信息", "share_type": "unconditional"},
        {"name": "企业社保缴纳", "share_type": "conditional", "share_condition": "仅用于资格审核"},
        {"name": "涉密名单", "share_type": "not_shared", "share_basis": "《中华人民共和国保守国家秘密法》"},
        {"name": "行政处罚记录", "share_type": "conditional", "share_condition": "执法",
         "classification": "监管数据/市场监管/行政处罚"},
        {"name": "不动产登记查询接口", "share_type": "unconditional", "control_parameters": True}])
    await until_known(client, [free, cond, secret, sup, controlled])
    mine = token("department", requester)

    granted = await client.post("/requests", headers=mine, json={"resource_code": free, "purpose": "开办企业"})
    assert granted.status_code == 201 and granted.json()["status"] == "active"
    # unconditional, but its interface needs control parameters: the bureau reviews the request first
    gated = await client.post("/requests", headers=mine, json={"resource_code": controlled, "purpose": "查询"})
    assert gated.status_code == 201 and gated.json()["status"] == "submitted", gated.text
    refused = (await client.post("/requests", headers=mine, json={"resource_code": secret, "purpose": "x"})).json()
    assert refused["status"] == "refused" and "保守国家秘密法" in refused["reason"]
    own = await client.post("/requests", headers=token("department", provider),
                            json={"resource_code": cond, "purpose": "x"})
    assert own.status_code == 422

    req = (await client.post("/requests", headers=mine, json={"resource_code": cond, "purpose": "资格审核"})).json()
    assert req["status"] == "submitted" and req["deadline"] == "2019-08-08T00:00:00+08:00"
    assert req["working_days_left"] == 3  # today (Mon 08-05), Tue 08-06 and Wed 08-07
    assert (await client.post(f"/requests/{req['id']}/review", headers=mine, json={"passed": True})).status_code == 403
    review_queue = (await client.get("/queues/review", headers=OPERATOR)).json()
    assert req["id"] in [r["id"] for r in review_queue]
    fwd = await client.post(f"/requests/{req['id']}/review", headers=OPERATOR, json={"passed": True})
    assert fwd.json()["status"] == "forwarded" and fwd.json()["provider_due"] == "2019-08-09T00:00:00+08:00"
    queue = (await client.get("/queues/provider", headers=token("department", provider))).json()
    assert [q["id"] for q in queue] == [req["id"]] and queue[0]["working_days_left"] == 4
    assert (await client.get("/queues/provider", headers=token("department", other))).json() == []

    wrong = await client.post(f"/requests/{req['id']}/decision", headers=token("department", other),
                              json={"approve": True})
    assert wrong.status_code == 403 and "addressed to" in wrong.json()["detail"]
    no_reason = await client.post(f"/requests/{req['id']}/decision", headers=token("department", provider),
                                  json={"approve": False, "reason": "  "})
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["detail"]
    rejected = await client.post(f"/requests/{req['id']}/decision", headers=token("department", provider),
                                 json={"approve": False, "reason": "申请用途与共享条件不符"})
    assert rejected.json()["status"] == "rejected"
    again = await client.post(f"/requests/{req['id']}/decision", headers=token("department", provider),
                              json={"approve": True})
    assert again.status_code == 409 and "only a forwarded request" in again.json()["detail"]
    assert (await client.post(f"/requests/{req['id']}/reply", headers=OPERATOR)).json()["status"] == "closed"

    # Supervision data: 5 working days; left undecided, the watcher flags it once at its deadline.
    late = (await client.post("/requests", headers=mine, json={"resource_code": sup, "purpose": "执法"})).json()
    late = (await client.post(f"/requests/{late['id']}/review", headers=OPERATOR, json={"passed": True})).json()
    assert late["provider_due"] == "2019-08-13T00:00:00+08:00"
    await client.put("/admin/clock", headers=OPERATOR, json={"now": "2019-08-13T08:00:00+08:00"})
    await asyncio.sleep(1.5)
    await client.put("/admin/clock", headers=OPERATOR, json={"now": "2019-08-14T08:00:00+08:00"})
    await asyncio.sleep(1.0)
    seen = (await client.get("/requests", headers=mine)).json()
    assert {r["id"]: r["status"] for r in seen}[late["id"]] == "forwarded"
    assert len(seen) == 5 and all(requester in (r["requester"], r["provider"]) for r in seen)

    events = await events_of(kafka_bootstrap, {provider}, expect=11)
    counts = Counter(t for t, _ in events)
    assert counts == {"exchange.request-submitted": 5, "exchange.request-forwarded": 3,
                      "exchange.request-approved": 1, "exchange.request-rejected": 1,
                      "exchange.request-overdue": 1}
    overdue = next(e for t, e in events if t == "exchange.request-overdue")
    assert overdue.data.request_id == late["id"] and overdue.data.data_kind == "supervision"
    assert overdue.occurred_at == datetime(2019, 8, 13, tzinfo=SHANGHAI)


async def test_gateway_records_every_call_and_each_failure_kind(client: httpx.AsyncClient,
                                                                 kafka_bootstrap: str) -> None:
    provider, consumer, stranger = unit(), unit(), unit()
    [api, api2] = await publish_catalog(kafka_bootstrap, provider, [
        {"name": "企业信用信息接口", "share_type": "unconditional"},
        {"name": "停用接口", "share_type": "unconditional"}])
    await until_known(client, [api, api2])
    mine, prov = token("department", consumer), token("department", provider)
    assert (await client.get(f"/gateway/{api}/ok", headers=mine)).status_code == 403  # deny by default
    await client.post("/requests", headers=mine, json={"resource_code": api, "purpose": "核验"})
    await client.post("/requests", headers=mine, json={"resource_code": api2, "purpose": "核验"})
    async with serving(provider_app(), port=PROVIDER_PORT) as upstream:
        assert (await client.put(f"/endpoints/{api}", headers=mine, json={"base_url": upstream})).status_code == 403
        await client.put(f"/endpoints/{api}", headers=prov, json={"base_url": upstream, "timeout_ms": 300})
        await client.put(f"/endpoints/{api2}", headers=prov, json={"base_url": f"http://127.0.0.1:{DEAD_PORT}"})
        ok = await client.get(f"/gateway/{api}/ok", params={"id": "7"}, headers=mine)
        assert ok.status_code == 200 and ok.json() == {"name": "南宁某公司", "q": "7"}
        assert (await client.get(f"/gateway/{api}/ok", headers=token("department", stranger))).status_code == 403
        kinds = {}
        for path, code in (("slow", api), ("boom", api), ("bad", api), ("ok", api2)):
            r = await client.get(f"/gateway/{code}/{path}", headers=mine)
            kinds[path] = (r.status_code, r.json()["type"].rsplit("/", 1)[-1])
    assert kinds == {"slow": (504, "call-timeout"), "boom": (502, "call-server_error"),
                     "bad": (502, "call-bad_response"), "ok": (502, "call-unavailable")}

    batch = {"calls": [
        {"call_id": f"p-{provider}-1", "consumer": consumer, "resource_code": api,
         "started_at": "2019-08-05T10:00:00+08:00", "ended_at": "2019-08-05T10:00:00.120+08:00", "status_code": 200},
        {"call_id": f"p-{provider}-2", "consumer": consumer, "resource_code": api,
         "started_at": "2019-08-05T10:01:00+08:00", "ended_at": "2019-08-05T10:01:05+08:00", "error": "timeout"}]}
    first = await client.post("/calls/batch", headers=prov, json=batch)
    assert first.json() == {"recorded": 2, "duplicates": 0, "failures": 1}
    assert (await client.post("/calls/batch", headers=prov, json=batch)).json()["failures"] == 0  # replay harmless
    assert (await client.post("/calls/batch", headers=mine, json=batch)).status_code == 422  # not the provider

    # A quality dispute naming the records concerned; upheld by the provider, who says how it corrected them.
    d = await client.post("/disputes", headers=mine, json={"resource_code": api, "description": "信息项缺失",
                                                           "records": ["91450100MA5K"]})
    assert d.status_code == 201 and d.json()["reported_late"] is False
    assert (await client.post(f"/disputes/{d.json()['id']}/answer", headers=mine,
                              json={"upheld": True, "answer": "x", "correction": "y"})).status_code == 403
    uncorrected = await client.post(f"/disputes/{d.json()['id']}/answer", headers=prov,
                                    json={"upheld": True, "answer": "属实"})
    assert uncorrected.status_code == 422 and "correction" in uncorrected.json()["detail"]
    answered = await client.post(f"/disputes/{d.json()['id']}/answer", headers=prov,
                                 json={"upheld": True, "answer": "属实", "correction": "已更新该记录"})
    assert answered.json()["status"] == "upheld"
    listed = {x["id"]: x for x in (await client.get("/disputes", headers=mine)).json()}
    assert listed[d.json()["id"]]["records"] == ["91450100MA5K"]
    assert listed[d.json()["id"]]["correction"] == "已更新该记录"
    used = await client.post("/data-uses", headers=mine, json={"resource_code": api, "purpose": "high_frequency"})
    assert used.status_code == 201
    # A unit without a subscription cannot earn E1.2/E1.4 by "using" data it never received.
    outsider = token("department", make_uscc("450000", uuid.uuid4().hex[:8].upper()))
    refused = await client.post("/data-uses", headers=outsider, json={"resource_code": api, "purpose": "general"})
    assert refused.status_code == 403 and "no active subscription" in refused.json()["detail"]

    stats = {s["provider"]: s for s in (await client.get("/stats/providers", headers=OPERATOR)).json()}
    mine_stats = stats[provider]
    assert mine_stats["calls"] == 7 and mine_stats["failed"] == 5
    assert mine_stats["failing_resources"] == sorted([api, api2]) and mine_stats["p99_ms"] >= mine_stats["p50_ms"]

    # The call log: each party sees the calls it made or answered, newest first, page by page.
    log = (await client.get("/calls", headers=prov, params={"resource": api, "status": "failed"})).json()
    assert sorted(c["error"] for c in log["calls"]) == ["bad_response", "server_error", "timeout", "timeout"]
    assert all(c["provider"] == provider and not c["succeeded"] for c in log["calls"])
    everything = (await client.get("/calls", headers=mine, params={"provider": provider})).json()["calls"]
    assert len(everything) == 7 and [c["started_at"] for c in everything] == sorted(
        (c["started_at"] for c in everything), reverse=True)
    page1 = (await client.get("/calls", headers=mine, params={"provider": provider, "limit": 4})).json()
    page2 = (await client.get("/calls", headers=mine, params={"provider": provider, "limit": 4,
                                                              "before": page1["next"]})).json()
    assert [c["id"] for c in page1["calls"] + page2["calls"]] == [c["id"] for c in everything]
    assert page2["next"] is None
    reported_only = (await client.get("/calls", headers=prov, params={
        "from": "2019-08-05T10:00:00+08:00", "to": "2019-08-05T10:05:00+08:00"})).json()["calls"]
    assert {c["id"] for c in reported_only} == {f"p-{provider}-1", f"p-{provider}-2"}
    assert all(c["reported"] for c in reported_only)
    nosy = token("department", stranger)
    assert (await client.get("/calls", headers=nosy, params={"provider": provider})).json()["calls"] == []
    for bad in ({"from": "2019-08-05T10:00:00"}, {"before": "yesterday"}, {"status": "maybe"}, {"limit": 0},
                {"from": "2019-08-05T10:00:00+08:00", "to": "2019-08-05T09:00:00+08:00"}):
        refused = await client.get("/calls", headers=mine, params=bad)
        assert refused.status_code == 422 and refused.headers["content-type"].startswith("application/problem"), bad
    hourly = (await client.get("/stats/calls", headers=OPERATOR,
                               params={"window": "hour", "provider": provider})).json()
    assert sum(b["calls"] for b in hourly["buckets"]) == 7 and sum(b["failed"] for b in hourly["buckets"]) == 5
    ten = next(b for b in hourly["buckets"] if b["start"] == "2019-08-05T10:00:00+08:00")
    assert (ten["calls"], ten["failures"]["timeout"], ten["failure_rate"]) == (2, 1, 0.5)
    assert (await client.get("/stats/calls", headers=nosy, params={"provider": provider})).json()["buckets"] == []

    events = await events_of(kafka_bootstrap, {provider, consumer}, expect=13)
    counts = Counter(t for t, _ in events)
    assert counts["exchange.call-failed"] == 5 and counts["exchange.dispute-upheld"] == 1
    assert counts["exchange.data-used"] == 1
    errors = sorted(e.data.error for t, e in events if t == "exchange.call-failed")
    assert errors == ["bad_response", "server_error", "timeout", "timeout", "unavailable"]
    use = next(e for t, e in events if t == "exchange.data-used")
    assert use.unit == consumer and use.data.purpose == "high_frequency"
    assert all(orjson.dumps(e.data.model_dump(mode="json")) for _, e in events)

    # Once the clock has moved past them, the windows with the provider's calls are counted, once each.
    await client.put("/admin/clock", headers=OPERATOR, json={"now": "2019-09-30T00:00:00+08:00"})
    counted: list[Any] = []
    for _ in range(60):
        counted = [e for e in (decode(v) for v in await read_topic(
            kafka_bootstrap, "hub.exchange.traffic-counted.v1", expect=100_000, timeout=0.3)) if e.unit == provider]
        if sum(e.data.calls for e in counted) >= 7:
            break
        await asyncio.sleep(0.3)
    assert sum(e.data.calls for e in counted) == 7 and sum(e.data.failed for e in counted) == 5, counted
    assert sum(e.data.timeouts for e in counted) == 2 and sum(e.data.unavailable for e in counted) == 1
    reported = next(e for e in counted if e.data.window_start == datetime.fromisoformat("2019-08-05T10:00:00+08:00"))
    assert (reported.data.calls, reported.data.failed, reported.data.window_seconds) == (2, 1, 300)
    assert reported.occurred_at == datetime.fromisoformat("2019-08-05T10:05:00+08:00")
    assert reported.data.p95_ms >= reported.data.p50_ms > 0
