"""Real servers for tests: one embedded PostgreSQL and one local broker per test run.

The broker is Apache Kafka where a JDK 17+ exists (`HUB_BROKER=tansu` forces the fallback).

`HUB_DATABASE_URL` / `HUB_KAFKA_BOOTSTRAP` in the environment make tests use
existing servers (e.g. Apache Kafka from compose) instead.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI

from .auth import Role, mint_token
from .runtime.broker import LocalBroker, broker_kind, idempotent_supported, local_broker
from .runtime.ports import free_port
from .runtime.postgres import EmbeddedPostgres
from .settings import DEV_SECRET

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


@contextmanager
def server_workdir(name: str) -> Iterator[Path]:
    """A directory for a server that lives through a test session, outside pytest's temporary tree, removed at
    the end. Every pytest session makes that tree's root private again (chmod 0700 of /tmp/pytest-of-<user>),
    which takes the data directory away from a PostgreSQL running as another user (as it must under root)."""
    path = Path(tempfile.mkdtemp(prefix=f"gov-hub-{name}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def postgres_server(workdir: Path, *, durable: bool = False) -> Iterator[str]:
    """Yield a DSN of a PostgreSQL server for the tests (database `postgres`); `durable` keeps
    fsync on (benchmarks that claim durable commits), tests do without it."""
    if url := os.environ.get("HUB_DATABASE_URL"):
        yield url
        return
    server = EmbeddedPostgres(workdir / "pgdata", free_port(), durable=durable)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@contextmanager
def kafka_broker(workdir: Path) -> Iterator[str]:
    if bootstrap := os.environ.get("HUB_KAFKA_BOOTSTRAP"):
        yield bootstrap
        return
    kind = broker_kind()
    if not idempotent_supported(kind):
        os.environ["HUB_KAFKA_IDEMPOTENT"] = "false"  # the whole run is on Tansu
    with started_broker(workdir, kind) as broker:
        yield broker.bootstrap


def own_broker(workdir: Path, port: int | None = None) -> LocalBroker:
    """A broker of the run's kind that a test starts, stops and restarts itself (not started)."""
    return local_broker(broker_kind(announce=False), workdir, port)


@contextmanager
def started_broker(workdir: Path, kind: str, port: int | None = None) -> Iterator[LocalBroker]:
    """A broker of that kind of the test's own (restart it with `.stop()` / `.start()`). Producers
    for a Tansu broker need `kafka_idempotent=False`."""
    broker = local_broker(kind, workdir, port)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


async def fresh_database(server_url: str, prefix: str = "t") -> str:
    """Create an empty database on the server and return its DSN (tests stay isolated)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def token(role: Role | str, unit: str | None = None, secret: str = DEV_SECRET) -> dict[str, str]:
    """Authorization header for a test request."""
    return {"Authorization": f"Bearer {mint_token(secret, role=role, unit=unit)}"}


async def read_topic(bootstrap: str, topic: str, *, expect: int, timeout: float = 20.0,
                     keep: Callable[[bytes], bool] | None = None) -> list[bytes]:
    """Read a topic from the beginning until `expect` messages arrived or the timeout passed; with `keep`,
    only the messages it accepts count (a topic on the session's broker holds other tests' events too)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    found: list[bytes] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(found) < expect and loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                found += [v for v in (r.value or b"" for r in records) if keep is None or keep(v)]
    finally:
        await consumer.stop()
    return found


@asynccontextmanager
async def running_app(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run a service app's lifespan (pool, relay, consumers) and give an HTTP client for it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield client


@asynccontextmanager
async def serving(app: Any, host: str = "127.0.0.1", port: int | None = None) -> AsyncIterator[str]:
    """Serve an ASGI app over real HTTP on a free port, or `port` (a test that must name it in
    HUB_EGRESS_ALLOW reserves it first); yields its URL."""
    import uvicorn

    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("server stopped before it started")
            await asyncio.sleep(0.02)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        try:
            await asyncio.wait_for(task, timeout=10)
        except TimeoutError:
            server.force_exit = True
            task.cancel()


def memory_spans() -> InMemorySpanExporter:
    """An in-memory exporter of every span this process ends from now on (the SDK's provider is installed
    when none is): an `InMemorySpanExporter`, to read with `get_finished_spans()`."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter as Exporter

    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = Exporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter
