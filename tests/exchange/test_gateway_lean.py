"""The gateway's lean route (a plain ASGI handler inside the guard and the audit trail) answers every call exactly
as the documented FastAPI route does: the same statuses, headers and bodies for calls that pass, calls the guard
refuses, calls the gateway refuses and calls the provider fails; the same forwarded query, headers and body; the
same audit rows; and it is what serves the gateway in the service as built."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from exchange.bootstrap import spec
from exchange.settings import ExchangeSettings
from fastapi.routing import APIRoute
from hubkit.service import build_app
from hubkit.testing import running_app, serving, token
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.exchange.test_exchange_flows import (
    LOCAL_PROVIDERS,
    OPERATOR,
    PROVIDER_PORT,
    publish_catalog,
    unit,
    until_known,
)

pytestmark = pytest.mark.integration

BODY_LIMIT = 4096


def mirror() -> Starlette:
    """A provider that answers with everything of the request it got."""
    async def anything(request: Request) -> Response:
        return JSONResponse({"method": request.method, "path": request.url.path,
                             "query": request.query_params.multi_items(),
                             "headers": sorted((k, v) for k, v in request.headers.items()
                                               if k not in ("host", "user-agent", "content-length",
                                                            "accept-encoding", "connection")),
                             "body": (await request.body()).decode()})

    async def boom(request: Request) -> Response:
        return Response("down", status_code=503)

    return Starlette(routes=[Route("/boom", boom), Route("/{rest:path}", anything,
                                                           methods=["GET", "POST", "PUT", "PATCH", "DELETE"])])


@pytest.fixture
async def twins(database_url: str, kafka_bootstrap: str) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """The service as built (lean gateway) and the same service without its lean route, on one database."""
    settings = ExchangeSettings(database_url=database_url, kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.1,
                                simulated_clock=True, simulated_start="2019-08-05T09:00:00+08:00",
                                egress_allow=LOCAL_PROVIDERS, max_body_bytes=BODY_LIMIT)
    documented = build_app(dataclasses.replace(spec(settings), lean_routes=[]))
    async with running_app(build_app(spec(settings))) as lean, running_app(documented) as plain:
        yield lean, plain


def comparable(r: httpx.Response) -> tuple[int, dict[str, str], Any]:
    headers = {k: v for k, v in r.headers.items() if k not in ("x-hub-call-id", "x-request-id", "content-length")}
    try:
        body: Any = r.json()
    except ValueError:
        body = r.text
    if isinstance(body, dict):
        body.pop("call_id", None)
    return r.status_code, headers, body


async def test_the_lean_route_answers_as_the_documented_route(
        twins: tuple[httpx.AsyncClient, httpx.AsyncClient], kafka_bootstrap: str) -> None:
    lean, plain = twins
    provider, consumer, stranger = unit(), unit(), unit()
    [api, bare] = await publish_catalog(kafka_bootstrap, provider, [
        {"name": "镜像接口", "share_type": "unconditional"},
        {"name": "未登记地址的接口", "share_type": "unconditional"}])
    await until_known(lean, [api, bare])
    await until_known(plain, [api, bare])
    mine = token("department", consumer)
    for code in (api, bare):
        assert (await lean.post("/requests", headers=mine, json={"resource_code": code, "purpose": "核验"})
                ).json()["status"] == "active"

    def big() -> Any:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(5):
                yield b"x" * 1000
        return chunks()

    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", f"/gateway/{api}/q/a%20b", {"params": [("q", "450103"), ("q", ""), ("名", "值")],
                                             "headers": {**mine, "accept": "application/json", "x-secret": "no"}}),
        ("POST", f"/gateway/{api}/echo", {"json": {"uscc": consumer}, "headers": mine}),
        ("PUT", f"/gateway/{api}/text", {"content": b"plain words", "headers": {**mine, "content-type": "text/plain"}}),
        ("DELETE", f"/gateway/{api}/x", {"headers": mine}),
        ("GET", f"/gateway/{api}/boom", {"headers": mine}),
        ("GET", f"/gateway/{bare}/q", {"headers": mine}),
        ("GET", f"/gateway/{api}/q", {"headers": token("department", stranger)}),
        ("GET", f"/gateway/{api}/q", {"headers": OPERATOR}),
        ("GET", f"/gateway/{api}/q", {}),
        ("GET", f"/gateway/{api}/q", {"headers": {"X-Hub-System-Key": "hsk_" + "0" * 40}}),
        ("GET", f"/gateway/{api}/..%2F..%2Fadmin", {"headers": mine}),
        ("GET", f"/gateway/{api}/q%00", {"headers": mine}),
        ("GET", f"/gateway/{api[:-1]}9/q", {"headers": mine}),
        ("HEAD", f"/gateway/{api}/q", {"headers": mine}),
        ("OPTIONS", f"/gateway/{api}/q", {"headers": mine}),
        ("GET", f"/gateway/{api}", {"headers": mine}),
        ("POST", f"/gateway/{api}/big", {"content": b"y" * (BODY_LIMIT + 1), "headers": {**mine,
                                                                                     "content-type": "text/plain"}}),
    ]
    async with serving(mirror(), port=PROVIDER_PORT) as upstream:
        assert (await lean.put(f"/endpoints/{api}", headers=token("department", provider),
                               json={"base_url": f"{upstream}/base"})).status_code == 200
        for method, path, options in calls:
            got = comparable(await lean.request(method, path, **options))
            assert got == comparable(await plain.request(method, path, **options)), (method, path)
        # A streamed body past the limit, known only as it arrives: refused alike.
        streamed = [await client.post(f"/gateway/{api}/big", content=big(),
                                      headers={**mine, "content-type": "application/octet-stream"})
                    for client in (lean, plain)]
        assert comparable(streamed[0]) == comparable(streamed[1]) and streamed[0].status_code == 413

    ok = await lean.get(f"/gateway/{api}/q/a%20b", headers=mine)  # (the provider is gone: a failure, recorded)
    assert ok.status_code == 502 and ok.json()["call_id"].startswith("c-")
    pool = lean._transport.app.state.host.pool  # type: ignore[attr-defined]
    calls_recorded = await pool.fetch("SELECT status_code, error, request_bytes FROM calls WHERE consumer = $1 "
                                      "ORDER BY started_at, id", consumer)
    # every call that reached the provider or failed there, once per app, and alike
    assert len(calls_recorded) == 2 * 6 + 1
    # The audit trail names each write by its route's template whichever route served it: every action twice.
    audit = await pool.fetch("SELECT action, outcome, status FROM audit WHERE action LIKE '% /gateway/%'")
    actions = Counter(tuple(r) for r in audit)
    assert actions[("POST", "/gateway/{code}/{path:path}", "ok", 200)] == 0  # (the action is one string)
    assert actions[("POST /gateway/{code}/{path:path}", "ok", 200)] == 2
    assert all(n % 2 == 0 for n in actions.values()), actions


async def test_the_service_as_built_serves_the_gateway_by_its_lean_route(
        twins: tuple[httpx.AsyncClient, httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch) -> None:
    lean, plain = twins
    routed: list[str] = []
    handle = APIRoute.handle

    async def counted(self: APIRoute, scope: Any, receive: Any, send: Any) -> None:
        routed.append(self.path)
        await handle(self, scope, receive, send)

    monkeypatch.setattr(APIRoute, "handle", counted)
    for client in (lean, plain):
        assert (await client.get("/gateway/x/y", headers=token("department", unit()))).status_code in (404, 422)
    assert routed == ["/gateway/{code}/{path:path}"]  # only the app built without the lean route routed it
