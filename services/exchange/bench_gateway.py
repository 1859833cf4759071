"""Benchmark: calls/s through the exchange gateway vs calling the provider directly, in the same run, and
the latency the gateway adds at fixed loads.

Three kinds of process, none sharing an event loop: the provider (a tiny raw-asyncio HTTP/1.1 server on
127.0.0.1, keep-alive, a small JSON answer: never the bottleneck), the load generator (a raw keep-alive
client, exchange.bench_load) and the gateway: the real exchange service (`python -m exchange`, FastAPI
under uvicorn) with one worker process, then two on one port, on its own PostgreSQL database and a broker.
A consumer holds an active subscription and the provider registered its endpoint; every gateway call is
authenticated, checked against the subscription, counted against its quota (in PostgreSQL, across
processes), forwarded and recorded in the `calls` table before it is answered (the benchmark checks that
every call was recorded).

Figures: `direct_calls_per_s` is the most the provider serves to the same closed-loop load (CONCURRENCY
connections) with no gateway in between, `gateway_calls_per_s_*` the same through the gateway, `ratio` the
better gateway over the direct figure; `*_at_R` an open-loop load of R calls/s through the gateway: the rate
achieved and the latency added to the direct call's at the same rate (p50, p99). All processes share the
machine's cores with PostgreSQL; absolute figures depend on the machine, the ratios less so.

    python -m benchmarks --only gateway        (make bench)
    python -m exchange.bench_gateway 5000      (this benchmark alone)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from contracts import new_envelope
from contracts.catalog import ResourceMounted, ResourcePublished
from contracts.values import build_resource_code, make_uscc
from contracts.workdays import SHANGHAI
from hubkit.kafka import ensure_topics
from hubkit.runtime.ports import free_port
from hubkit.testing import fresh_database, kafka_broker, postgres_server, serving, token

CONCURRENCY = int(os.environ.get("HUB_BENCH_CONCURRENCY", "16"))
RATES = (100, 500, 1000)  # fixed loads (calls/s) at which the gateway's added latency is measured
RATE_SECONDS = 4.0  # each fixed load lasts this long
Sampler = Callable[[int], contextlib.AbstractAsyncContextManager[Any]]


async def _drive(url: str, path: str, calls: int, *, rate: float | None = None, concurrency: int = CONCURRENCY,
                 headers: dict[str, str] | None = None) -> dict[str, Any]:
    """The load generator, in a process of its own (exchange.bench_load)."""
    argv = [sys.executable, "-m", "exchange.bench_load", "drive", url, path, "--calls", str(calls),
            "--concurrency", str(concurrency)] + (["--rate", str(rate)] if rate else [])
    env = os.environ | {"HUB_BENCH_HEADERS": orjson.dumps(headers or {}).decode()}
    proc = await asyncio.create_subprocess_exec(*argv, env=env, stdout=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"the load generator failed ({proc.returncode})")
    result: dict[str, Any] = orjson.loads(out.splitlines()[-1])
    return result


@contextlib.asynccontextmanager
async def _process(argv: list[str], env: dict[str, str], port: int) -> AsyncIterator[tuple[str, int]]:
    """A process serving 127.0.0.1:port until the block ends (then terminated; killed if it lingers): its URL
    and process id."""
    proc = await asyncio.create_subprocess_exec(*argv, env=os.environ | env, stdout=asyncio.subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not await _answers(port):
            if proc.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{argv[2]} did not start on port {port}")
            await asyncio.sleep(0.1)
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), timeout=20)
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def _answers(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    return True


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


async def _setup(settings: Any, provider: str, consumer: str, code: str, upstream: str) -> None:
    """The exchange learns the resource, the consumer subscribes, the provider registers its endpoint."""
    from exchange.bootstrap import create_app

    app = create_app(settings)
    async with serving(app) as gateway, httpx.AsyncClient(timeout=30, trust_env=False) as client:
        await _prepare(app, provider, code)
        r = await client.post(f"{gateway}/requests", headers=token("department", consumer),
                              json={"resource_code": code, "purpose": "核验"})
        assert r.json()["status"] == "active", r.text
        r = await client.put(f"{gateway}/endpoints/{code}", headers=token("department", provider),
                             json={"base_url": upstream})
        assert r.status_code == 200, r.text


async def _gateway(env: dict[str, str], workers: int, n_calls: int, path: str, headers: dict[str, str],
                   direct: dict[int, dict[str, Any]], sampler: Sampler | None = None) -> dict[str, Any]:
    """One gateway of `workers` processes: the most it serves (with `sampler`, the serving process's profile
    meanwhile: one worker serves in the process itself), then its added latency at each fixed load."""
    port = free_port()
    argv = [sys.executable, "-m", "exchange"]
    env = env | {"HUB_WORKERS": str(workers), "HUB_HTTP_PORT": str(port)}
    async with _process(argv, env, port) as (gateway, pid):
        await _drive(gateway, path, 200 * workers, headers=headers)  # warm: connections, caches, pools
        async with sampler(pid) if sampler is not None else contextlib.nullcontext() as profile:
            most = await _drive(gateway, path, n_calls, headers=headers)
        out: dict[str, Any] = {"calls_per_s": most["calls_per_s"], "ok": most["ok"]}
        if profile is not None:
            out["profile"] = profile.summary()
        for rate in RATES:
            at = await _drive(gateway, path, int(rate * RATE_SECONDS), rate=rate, concurrency=64, headers=headers)
            out[f"at_{rate}"] = {"achieved": at["calls_per_s"], "ok": at["ok"] == at["calls"],
                                 "added_p50_ms": round(at["p50_ms"] - direct[rate]["p50_ms"], 2),
                                 "added_p99_ms": round(at["p99_ms"] - direct[rate]["p99_ms"], 2)}
    return out


async def _measure(n_calls: int, database_url: str, bootstrap: str, sampler: Sampler | None = None) -> dict[str, Any]:
    from exchange.settings import ExchangeSettings

    provider, consumer = make_uscc("450000", "BE4C4P12"), make_uscc("450000", uuid.uuid4().hex[:8].upper())
    code = build_resource_code("450000", provider, 1)
    provider_port = free_port()
    upstream = f"http://127.0.0.1:{provider_port}"
    env = {"HUB_DATABASE_URL": database_url, "HUB_KAFKA_BOOTSTRAP": bootstrap, "HUB_LOG_LEVEL": "WARNING",
           "HUB_EGRESS_ALLOW": f"127.0.0.1:{provider_port}",  # the one local provider (loopback is refused)
           "HUB_GATEWAY_RATE": "0",  # the benchmark measures the gateway, not its limits:
           "HUB_QUOTA_PER_MINUTE": str(10**9), "HUB_QUOTA_PER_DAY": str(10**9)}  # (counted all the same)
    settings = ExchangeSettings(database_url=database_url, kafka_bootstrap=bootstrap, log_level="WARNING",
                                egress_allow=env["HUB_EGRESS_ALLOW"], gateway_rate=0, quota_per_minute=10**9,
                                quota_per_day=10**9)
    path, headers = f"/gateway/{code}/query", token("department", consumer)
    provider_argv = [sys.executable, "-m", "exchange.bench_load", "provider", str(provider_port)]
    async with _process(provider_argv, {}, provider_port):
        await _setup(settings, provider, consumer, code, upstream)
        await _drive(upstream, "/query", 200)
        most = await _drive(upstream, "/query", n_calls)
        direct = {rate: await _drive(upstream, "/query", int(rate * RATE_SECONDS), rate=rate, concurrency=64)
                  for rate in RATES}
        one = await _gateway(env, 1, n_calls, path, headers, direct, sampler)
        two = await _gateway(env, 2, n_calls, path, headers, direct)
    conn = await asyncpg.connect(database_url)
    try:
        recorded = await conn.fetchval("SELECT count(*) FROM exchange.calls WHERE consumer = $1 AND succeeded",
                                       consumer)
    finally:
        await conn.close()
    sent = 2 * n_calls + 600 + 2 * sum(int(rate * RATE_SECONDS) for rate in RATES)
    best = max(one["calls_per_s"], two["calls_per_s"])
    return {
        "calls": n_calls, "concurrency": CONCURRENCY,
        "gateway_calls_per_s_1_worker": one["calls_per_s"], "gateway_calls_per_s_2_workers": two["calls_per_s"],
        "direct_calls_per_s": most["calls_per_s"], "ratio": round(best / most["calls_per_s"], 3),
        **{f"2_workers_at_{rate}": two[f"at_{rate}"] for rate in RATES},
        **{f"1_worker_at_{rate}": one[f"at_{rate}"] for rate in RATES},
        "all_recorded": recorded == sent, "calls_recorded": recorded,
        **({"1_worker_closed_loop": one["profile"]} if "profile" in one else {}),
    }


async def run(n_calls: int, server: str | None = None, bootstrap: str | None = None,
              sampler: Sampler | None = None) -> dict[str, Any]:
    """Measure on the given PostgreSQL server and broker, or start both for this run; `sampler`: what profiles
    a process (by id) while a block runs (make bench: benchmarks.profiles)."""
    if server is not None and bootstrap is not None:
        return await _measure(n_calls, await fresh_database(server, "benchgw"), bootstrap, sampler)
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp, \
            postgres_server(Path(tmp)) as server, kafka_broker(Path(tmp)) as bootstrap:
        await ensure_topics(bootstrap, partitions=3)
        database_url = await fresh_database(server, "benchgw")
        return await _measure(n_calls, database_url, bootstrap)


if __name__ == "__main__":
    os.environ.setdefault("HUB_LOG_LEVEL", "WARNING")
    print(asyncio.run(run(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)))
