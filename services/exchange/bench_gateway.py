"""Benchmark: calls/s through the exchange gateway vs calling the provider directly, in the same run.

The provider is a tiny raw-asyncio HTTP/1.1 server on 127.0.0.1 (keep-alive, a small JSON answer), so
it is never the bottleneck. The gateway is the real exchange app (FastAPI under uvicorn on 127.0.0.1,
its own embedded PostgreSQL database and a broker), with a consumer holding an active subscription and
the provider's endpoint registered. Every gateway call is authenticated, checked against the
subscription, forwarded with httpx and recorded in the `calls` table before it is answered (the
benchmark checks that every call was recorded).

The load generator is a raw keep-alive HTTP client with CONCURRENCY connections, the same for both
runs, so that it costs far less than what it measures: `direct_calls_per_s` is what the provider
serves with no gateway in between, `gateway_calls_per_s` the same load through the gateway, and
`ratio` the second over the first. For context, `direct_httpx_calls_per_s` is the provider called
directly by a typical Python consumer (httpx). Everything runs in one process and event loop on the
machine's cores, next to PostgreSQL; absolute figures depend on the machine, the ratio less so.

    python -m benchmarks --only gateway        (make bench)
    python -m exchange.bench_gateway 2000      (this benchmark alone)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from contracts import new_envelope
from contracts.catalog import ResourceMounted, ResourcePublished
from contracts.values import build_resource_code, make_uscc
from contracts.workdays import SHANGHAI
from hubkit.kafka import ensure_topics
from hubkit.testing import fresh_database, kafka_broker, postgres_server, serving, token

CONCURRENCY = int(os.environ.get("HUB_BENCH_CONCURRENCY", "16"))
_BODY = b'{"name":"\xe5\x8d\x97\xe5\xae\x81\xe6\x9f\x90\xe5\x85\xac\xe5\x8f\xb8","status":"ok"}'
_RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
             + str(len(_BODY)).encode() + b"\r\nConnection: keep-alive\r\n\r\n" + _BODY)


async def _serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A minimal keep-alive HTTP/1.1 responder: read the head (and a Content-Length body), answer 200."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:].strip() or 0)
            if length:
                await reader.readexactly(length)
            writer.write(_RESPONSE)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


@contextlib.asynccontextmanager
async def local_provider() -> AsyncIterator[str]:
    """A provider system on a free port of 127.0.0.1; yields its base URL."""
    open_writers: set[asyncio.StreamWriter] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        open_writers.add(writer)
        try:
            await _serve_connection(reader, writer)
        finally:
            open_writers.discard(writer)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        for writer in list(open_writers):  # the gateway's pooled connections: end them so handlers return
            writer.close()
        await server.wait_closed()


class _Connection:
    """One keep-alive HTTP/1.1 client connection: the load generator must cost far less than what it measures."""

    def __init__(self, base_url: str) -> None:
        self.host, _, port = base_url.removeprefix("http://").partition(":")
        self.port = int(port)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str, headers: dict[str, str]) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        self.writer.write(head.encode())
        answer = await self.reader.readuntil(b"\r\n\r\n")
        status = int(answer.split(b" ", 2)[1])
        length = next((int(line[15:]) for line in answer.split(b"\r\n") if line[:15].lower() == b"content-length:"),
                      0)
        await self.reader.readexactly(length)
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError):
                await self.writer.wait_closed()


async def _drive(base_url: str, path: str, n_calls: int, headers: dict[str, str]) -> tuple[float, int]:
    """n_calls GETs over CONCURRENCY keep-alive connections; returns (seconds, calls answered 200)."""
    remaining = n_calls
    ok = 0

    async def worker() -> None:
        nonlocal remaining, ok
        conn = _Connection(base_url)
        try:
            while remaining > 0:
                remaining -= 1
                status = await conn.get(path, headers)  # (not `ok += await ...`: that reads ok before awaiting)
                ok += status == 200
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(CONCURRENCY, n_calls))))
    return time.perf_counter() - started, ok


async def _drive_httpx(base_url: str, path: str, n_calls: int) -> tuple[float, int]:
    """The same load from a typical Python consumer system (httpx, pooled keep-alive connections)."""
    remaining, ok = n_calls, 0
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30, trust_env=False) as client:

        async def worker() -> None:
            nonlocal remaining, ok
            while remaining > 0:
                remaining -= 1
                status = (await client.get(path)).status_code
                ok += status == 200

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(min(CONCURRENCY, n_calls))))
        return time.perf_counter() - started, ok


async def _prepare(app: Any, provider: str, code: str) -> None:
    """The exchange learns of the resource the way it always does: through its catalog-event handler."""
    from exchange.messaging import catalog_feed

    at = datetime(2019, 8, 1, 9, tzinfo=SHANGHAI)
    published = ResourcePublished(resource_code=code, name="企业信用信息查询接口", share_type="unconditional",
                                  update_cycle="realtime")
    mounted = ResourceMounted(resource_code=code, mount_kind="api")
    async with app.state.host.pool.acquire() as conn, conn.transaction():
        for payload in (published, mounted):
            await catalog_feed.apply(conn, new_envelope(payload, unit=provider, occurred_at=at))


async def _measure(n_calls: int, database_url: str, bootstrap: str) -> dict[str, Any]:
    from exchange.bootstrap import create_app
    from exchange.settings import ExchangeSettings

    provider, consumer = make_uscc("450000", "BE4C4P12"), make_uscc("450000", uuid.uuid4().hex[:8].upper())
    code = build_resource_code("450000", provider, 1)
    async with local_provider() as upstream, contextlib.AsyncExitStack() as stack:
        # The gateway may reach this one local provider (loopback is refused otherwise).
        settings = ExchangeSettings(database_url=database_url, kafka_bootstrap=bootstrap, simulated_clock=True,
                                    simulated_start="2019-08-05T09:00:00+08:00", log_level="WARNING",
                                    outbox_poll_seconds=0.2, egress_allow=upstream.removeprefix("http://"),
                                    gateway_rate=0,  # the benchmark measures the gateway, not its limits:
                                    quota_per_minute=10**9, quota_per_day=10**9)  # (counted all the same)
        app = create_app(settings)
        gateway = await stack.enter_async_context(serving(app))
        client = await stack.enter_async_context(httpx.AsyncClient(timeout=30, trust_env=False))
        await _prepare(app, provider, code)
        mine = token("department", consumer)
        r = await client.post(f"{gateway}/requests", headers=mine, json={"resource_code": code, "purpose": "核验"})
        assert r.json()["status"] == "active", r.text
        r = await client.put(f"{gateway}/endpoints/{code}", headers=token("department", provider),
                             json={"base_url": upstream})
        assert r.status_code == 200, r.text
        warm = min(200, max(20, n_calls // 10))
        path = f"/gateway/{code}/query"
        await _drive(upstream, "/query", warm, {})
        await _drive(gateway, path, warm, mine)
        direct_s, direct_ok = await _drive(upstream, "/query", n_calls, {})
        flushes_before = app.state.gateway.recorder.flushes
        gateway_s, gateway_ok = await _drive(gateway, path, n_calls, mine)
        flushes = app.state.gateway.recorder.flushes - flushes_before
        httpx_s, httpx_ok = await _drive_httpx(upstream, "/query", n_calls)
        recorded = await app.state.host.pool.fetchval(
            "SELECT count(*) FROM calls WHERE consumer = $1 AND succeeded", consumer)
        latency = await app.state.host.pool.fetchrow(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50, "
            "percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms) AS p99 FROM calls WHERE consumer = $1",
            consumer)
    direct, through = direct_ok / direct_s, gateway_ok / gateway_s
    return {
        "calls": n_calls, "concurrency": CONCURRENCY,
        "gateway_calls_per_s": round(through), "direct_calls_per_s": round(direct),
        "ratio": round(through / direct, 3),
        "direct_httpx_calls_per_s": round(httpx_ok / httpx_s),
        "ratio_vs_httpx": round(through / (httpx_ok / httpx_s), 3),
        "gateway_ok": gateway_ok, "direct_ok": direct_ok,
        "calls_recorded": recorded, "all_recorded": recorded == gateway_ok + warm,
        "calls_per_record_commit": round(gateway_ok / max(flushes, 1), 1),
        "upstream_p50_ms": round(latency["p50"], 2), "upstream_p99_ms": round(latency["p99"], 2),
    }


async def run(n_calls: int, server: str | None = None, bootstrap: str | None = None) -> dict[str, Any]:
    """Measure on the given PostgreSQL server and broker, or start both for this run."""
    if server is not None and bootstrap is not None:
        return await _measure(n_calls, await fresh_database(server, "benchgw"), bootstrap)
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp, \
            postgres_server(Path(tmp)) as server, kafka_broker(Path(tmp)) as bootstrap:
        await ensure_topics(bootstrap, partitions=3)
        database_url = await fresh_database(server, "benchgw")
        return await _measure(n_calls, database_url, bootstrap)


if __name__ == "__main__":
    os.environ.setdefault("HUB_LOG_LEVEL", "WARNING")
    print(asyncio.run(run(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)))
