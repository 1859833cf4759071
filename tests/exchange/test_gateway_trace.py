"""A gateway call is one server span continuing the caller's trace (not the ASGI instrumentation's three), and
the call-failed event of each call carries that call's own trace to Kafka, also when concurrent calls' records
are committed together."""

from __future__ import annotations

import asyncio
import secrets

import httpx
import orjson
import pytest
from hubkit.testing import memory_spans, serving, token
from opentelemetry.trace import SpanKind
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.exchange.test_exchange_flows import (  # noqa: F401 - the fixture is used by name
    PROVIDER_PORT,
    exchange,
    publish_catalog,
    unit,
    until_known,
)

pytestmark = pytest.mark.integration


def failing_provider() -> Starlette:
    async def down(request: Request) -> Response:
        await asyncio.sleep(0.05)  # the calls overlap, so their records are committed together
        return Response(status_code=503)

    return Starlette(routes=[Route("/{rest:path}", down)])


async def test_each_gateway_call_is_one_span_and_its_failure_event_continues_its_own_trace(
        exchange: httpx.AsyncClient, kafka_bootstrap: str) -> None:  # noqa: F811
    spans = memory_spans()
    provider, consumer = unit(), unit()
    [api] = await publish_catalog(kafka_bootstrap, provider, [{"name": "追踪网关接口", "share_type": "unconditional"}])
    await until_known(exchange, [api])
    mine = token("department", consumer)
    assert (await exchange.post("/requests", headers=mine, json={"resource_code": api, "purpose": "核验"})
            ).json()["status"] == "active"
    traces = [secrets.token_hex(16) for _ in range(6)]
    async with serving(failing_provider(), port=PROVIDER_PORT) as upstream:
        assert (await exchange.put(f"/endpoints/{api}", headers=token("department", provider),
                                   json={"base_url": upstream})).status_code == 200
        spans.clear()
        answers = await asyncio.gather(*(
            exchange.get(f"/gateway/{api}/query", headers=mine | {"traceparent": f"00-{t}-{secrets.token_hex(8)}-01"})
            for t in traces))
    assert [a.status_code for a in answers] == [502] * len(traces)
    gateway = [s for s in spans.get_finished_spans() if "/gateway/" in s.name]
    assert sorted(format(s.context.trace_id, "032x") for s in gateway) == sorted(traces)  # one span per call
    assert {(s.name, s.kind, s.attributes["http.response.status_code"]) for s in gateway} == {
        ("GET /gateway/{code}", SpanKind.SERVER, 502)}
    pool = exchange._transport.app.state.host.pool  # type: ignore[attr-defined]
    rows = await pool.fetch("SELECT payload, headers FROM outbox WHERE topic = 'hub.exchange.call-failed.v1'")
    carried = {}
    for row in rows:
        data = orjson.loads(row["payload"])["data"]
        if data["consumer_unit"] == consumer:
            headers = row["headers"] if isinstance(row["headers"], dict) else orjson.loads(row["headers"])
            carried[data["call_id"]] = headers["traceparent"].split("-")[1]
    by_call = {a.json()["call_id"]: t for a, t in zip(answers, traces, strict=True)}
    assert carried == by_call
