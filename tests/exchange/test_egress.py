"""No server-side request forgery: the gateway and webhooks reach only public destinations (or the
ones HUB_EGRESS_ALLOW names), judged on registration and again at every connection, and a gateway
path never leaves the provider's registered base path."""

from __future__ import annotations

import ipaddress
from collections import Counter

import aiohttp
import httpx
import pytest
from hubkit.egress import EgressPolicy, EgressRefused, confine_path, egress_client
from hubkit.egress_session import EgressSession
from hubkit.runtime.ports import free_port
from hubkit.testing import serving, token
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.exchange.test_exchange_flows import (  # noqa: F401 - the fixture is used by name
    OPERATOR,
    PROVIDER_PORT,
    exchange,
    publish_catalog,
    unit,
    until_known,
)

INTERNAL = ["127.0.0.1", "127.1.2.3", "::1", "0.0.0.0", "::", "169.254.169.254", "10.0.0.8", "172.16.0.1",
            "192.168.1.1", "100.64.0.1", "224.0.0.1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
            "240.0.0.1", "255.255.255.255"]
# Spellings of loopback that name resolution turns into 127.0.0.1.
SPELLINGS = ["127.0.0.1", "2130706433", "0177.0.0.1", "0x7f.0.0.1", "127.1", "localhost", "[::1]",
             "[::ffff:127.0.0.1]", "0.0.0.0", "[::]"]


@pytest.mark.parametrize("address", INTERNAL)
def test_internal_addresses_are_refused(address: str) -> None:
    assert EgressPolicy().allowed("h", ipaddress.ip_address(address), 80) is not None


def test_public_addresses_pass_and_allow_rules_are_exact() -> None:
    policy = EgressPolicy()
    assert policy.allowed("h", ipaddress.ip_address("8.8.8.8"), 443) is None
    assert policy.allowed("h", ipaddress.ip_address("2001:4860:4860::8888"), 443) is None
    allow = EgressPolicy.parse("127.0.0.1:8443, 10.1.0.0/16, provider.internal, [::1]:9000")
    assert allow.allowed("x", ipaddress.ip_address("127.0.0.1"), 8443) is None
    assert allow.allowed("x", ipaddress.ip_address("127.0.0.1"), 8101) is not None  # another port: refused
    assert allow.allowed("x", ipaddress.ip_address("10.1.2.3"), 80) is None
    assert allow.allowed("x", ipaddress.ip_address("10.2.0.1"), 80) is not None
    assert allow.allowed("provider.internal", ipaddress.ip_address("10.9.9.9"), 80) is None
    assert allow.allowed("x", ipaddress.ip_address("::1"), 9000) is None


@pytest.mark.parametrize("host", SPELLINGS)
async def test_every_spelling_of_loopback_is_refused(host: str) -> None:
    with pytest.raises(EgressRefused):
        await EgressPolicy().check_destination(f"http://{host}:8104/admin/clock")


@pytest.mark.parametrize("url", ["ftp://example.com/", "file:///etc/passwd", "http://user:pw@example.com/",
                                 "gopher://example.com/", "http:///nohost"])
async def test_only_plain_http_destinations(url: str) -> None:
    with pytest.raises(EgressRefused):
        await EgressPolicy().check_destination(url)


@pytest.mark.parametrize("path", ["../../u/B/secret", "..%2F..%2Fu%2FB%2Fsecret", "%2e%2e/x", "%252e%252e%252fx",
                                  "a/./b", "a\\..\\b", "a/%00"])
def test_paths_stay_under_the_base(path: str) -> None:
    with pytest.raises(EgressRefused):
        confine_path("http://p.example/u/A", path)


def test_ordinary_paths_are_kept() -> None:
    assert confine_path("http://p.example/u/A/", "query") == "http://p.example/u/A/query"
    assert confine_path("http://p.example/u/A", "a/b c/%E4%B8%AD") == "http://p.example/u/A/a/b%20c/%E4%B8%AD"


def recording(hits: list[str]) -> Starlette:
    """A destination on loopback that notes every request it receives (so a refused one shows as missing)."""
    async def ok(request: Request) -> Response:
        hits.append(request.url.path)
        return JSONResponse({})

    return Starlette(routes=[Route("/x", ok)])


async def test_the_connection_itself_is_judged() -> None:
    """A name is resolved and judged when the client connects (what a rebinding DNS would change)."""
    hits: list[str] = []
    port = free_port()
    async with serving(recording(hits), port=port):
        async with egress_client(EgressPolicy()) as client:
            for host in ("localhost", "127.0.0.1", "2130706433"):
                with pytest.raises(httpx.ConnectError, match="egress refused"):
                    await client.get(f"http://{host}:{port}/x")
        async with egress_client(EgressPolicy.parse(f"127.0.0.1:{port}")) as client:
            assert (await client.get(f"http://localhost:{port}/x")).status_code == 200
            with pytest.raises(httpx.ConnectError, match="egress refused"):
                await client.get(f"http://localhost:{free_port()}/x")  # allowed host, another port
    assert hits == ["/x"]


async def test_the_gateway_session_judges_every_connection() -> None:
    """The gateway forwards with aiohttp: names through its judging resolver, address literals (which aiohttp
    never resolves) judged before anything is sent, in every spelling."""
    hits: list[str] = []
    port = free_port()
    async with serving(recording(hits), port=port):
        session = EgressSession(EgressPolicy())
        try:
            for host in ("localhost", "127.0.0.1", "2130706433", "0177.0.0.1", "127.1", "[::1]",
                         "[::ffff:127.0.0.1]", "0.0.0.0"):
                with pytest.raises(aiohttp.ClientError, match="egress refused"):
                    async with session.request("GET", f"http://{host}:{port}/x"):
                        pass
        finally:
            await session.close()
        session = EgressSession(EgressPolicy.parse(f"127.0.0.1:{port}"))
        try:
            for host in ("localhost", "127.0.0.1"):
                async with session.request("GET", f"http://{host}:{port}/x") as answer:
                    assert answer.status == 200
            async with session.request("GET", f"http://localhost:{port}/x") as again:  # the judged name, cached
                assert again.status == 200
            for host in ("localhost", "127.0.0.1"):  # allowed address, another port
                with pytest.raises(aiohttp.ClientError, match="egress refused"):
                    async with session.request("GET", f"http://{host}:{free_port()}/x"):
                        pass
        finally:
            await session.close()
    assert hits == ["/x", "/x", "/x"]


def provider_of_secrets(hits: Counter[str]) -> Starlette:
    async def anything(request: Request) -> Response:
        hits[request.url.path] += 1
        return JSONResponse({"path": request.url.path, "secret": "B's data" if "/u/B" in request.url.path else None})

    return Starlette(routes=[Route("/{rest:path}", anything, methods=["GET", "POST"])])


async def test_endpoints_and_gateway_paths_cannot_reach_inside(exchange: httpx.AsyncClient,  # noqa: F811
                                                               kafka_bootstrap: str) -> None:
    provider, consumer = unit(), unit()
    [api] = await publish_catalog(kafka_bootstrap, provider, [{"name": "内部地址接口", "share_type": "unconditional"}])
    await until_known(exchange, [api])
    mine, prov = token("department", consumer), token("department", provider)
    assert (await exchange.post("/requests", headers=mine, json={"resource_code": api, "purpose": "核验"})
            ).json()["status"] == "active"
    for url in ("http://127.0.0.1:8101", "http://127.0.0.1:55432", "http://169.254.169.254/latest/meta-data",
                "http://[::1]:8104", "http://0.0.0.0:8104", "http://2130706433:8104", "http://localhost:8104",
                f"http://127.0.0.1:{PROVIDER_PORT + 1}"):
        r = await exchange.put(f"/endpoints/{api}", headers=prov, json={"base_url": url})
        assert r.status_code == 422, (url, r.text)
        assert "base_url" in r.json()["detail"]
    hits: Counter[str] = Counter()
    async with serving(provider_of_secrets(hits), port=PROVIDER_PORT) as upstream:
        assert (await exchange.put(f"/endpoints/{api}", headers=prov,
                                   json={"base_url": f"{upstream}/u/A"})).status_code == 200
        ok = await exchange.get(f"/gateway/{api}/query", headers=mine)
        assert ok.status_code == 200 and ok.json()["path"] == "/u/A/query"
        for escape in ("..%2F..%2Fu%2FB%2Fsecret", "..%252F..%252Fu%252FB%252Fsecret", "%2e%2e/B/secret"):
            r = await exchange.get(f"/gateway/{api}/{escape}", headers=mine)
            assert r.status_code == 422, (escape, r.text)
    assert hits == Counter({"/u/A/query": 1})
    # A refused path changed nothing: the subscription's quota counted the one call that went through.
    pool = exchange._transport.app.state.host.pool  # type: ignore[attr-defined]
    counted = await pool.fetchval("SELECT sum(q.calls) FROM quota_counts q JOIN requests r ON r.id = q.request_id "
                                  "WHERE r.requester = $1 AND q.span = 'minute'", consumer)
    assert counted == 1
    assert (await exchange.get("/stats/providers", headers=OPERATOR)).status_code == 200


async def test_webhooks_refuse_internal_destinations(database_url: str, kafka_bootstrap: str) -> None:
    from hubkit.testing import running_app
    from scoring.bootstrap import create_app
    from scoring.settings import ScoringSettings

    member = unit()
    own = token("department", member)
    async with running_app(create_app(ScoringSettings(submissions="none", inventory="none", database_url=database_url,
                                                      kafka_bootstrap=kafka_bootstrap))) as client:
        for host in ("127.0.0.1:8104/admin/clock", "[::1]:8104", "0.0.0.0:8104", "2130706433:8104",
                     "169.254.169.254/latest", "10.0.0.8", "localhost:8104"):
            r = await client.put(f"/webhooks/{member}", headers=own, json={"url": f"http://{host}"})
            assert r.status_code == 422, (host, r.text)
            assert "url" in r.json()["detail"]
        assert (await client.get(f"/webhooks/{member}", headers=own)).json() in ([], {"webhooks": []})
