"""Composition of one service process: HTTP app, pool, outbox relay, consumers, background jobs.

Every service declares a `ServiceSpec` in its `bootstrap` module; `build_app`
turns it into a FastAPI app whose lifespan owns all the moving parts, and
`serve` runs it under uvicorn (`python -m <service>`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from . import audit, deadletters, ops, problems, telemetry
from . import clock as clock_api
from .access import AccessPolicy, platform_rules, service_rules
from .audit import AuditTrail
from .db import create_pool, migrate_service
from .guard import RequestGuard
from .kafka import Handler, IdempotentConsumer, make_producer
from .lean import LeanRoute, LeanRoutes
from .oidc import JwksKeys, TokenVerifier
from .ops import router as ops_router
from .relay import OutboxRelay
from .revocation_api import router as revocation_router
from .revocations import RevocationList
from .revocations import follow as follow_revocations
from .revocations import load as load_revocations
from .settings import HubSettings, install_calendar
from .tasks import finish

log = telemetry.get_logger(__name__)


@dataclass
class ConsumerSpec:
    name: str
    topics: list[str]
    handler: Handler


@dataclass
class ServiceSpec:
    name: str
    settings: HubSettings
    migrations: Path
    routers: list[APIRouter]
    description: str = ""
    consumers: list[ConsumerSpec] = field(default_factory=list)
    # Background jobs get the running host (e.g. deadline scanners); they run until shutdown.
    jobs: list[Callable[[ServiceHost], Awaitable[None]]] = field(default_factory=list)
    # Extra setup on the app (static files, extra state) before it starts serving.
    configure: Callable[[FastAPI], None] | None = None
    pool_size: int = 10
    # False: a process keeps state in memory that workers of one port would split (the scoring projection):
    # HUB_WORKERS > 1 is refused at start. Its replicas are the service's own to coordinate.
    scales_out: bool = True
    # Paths (regular expressions) whose routes make their own one span: the ASGI instrumentation's three spans
    # and wrapped send/receive are a fifth of a gateway call's cost.
    traced_by_hand: list[str] = field(default_factory=list)
    # Hot paths served by plain ASGI handlers inside the guard and the audit trail (hubkit.lean): the gateway.
    lean_routes: list[LeanRoute] = field(default_factory=list)
    # GET paths (regular expressions) whose reads touch personal data: each is in the audit trail.
    audited_reads: list[str] = field(default_factory=list)
    # Body limits for routes that take more than the settings' defaults, by path prefix (bytes).
    body_limits: dict[str, int] = field(default_factory=dict)
    # Consumers that are not `consumers` above (the scoring projection) but whose lag operators see.
    lag_sources: list[ops.LagSource] = field(default_factory=list)
    # What else must be so before the service answers reads (name → "ok" or what is not yet): /ready reports
    # each, and is 503 until all are ok (the scoring projection: its memory rebuilt, or a standby's).
    readiness: dict[str, Callable[[], str]] = field(default_factory=dict)
    # Who may call each of the service's own operations (`hubkit.access`); None: it has none of its own.
    access: Path | None = None

    def access_policy(self) -> AccessPolicy:
        return AccessPolicy([*platform_rules(), *(service_rules(self.access) if self.access else [])])

    def operations(self) -> list[str]:
        """Every operation the service's app serves ("METHOD /path"), HEAD aside."""
        ops = ["GET /health", "GET /ready", "GET /openapi.json", "GET /docs", "GET /docs/oauth2-redirect",
               "GET /redoc"]
        for router in [*self.routers, audit.router, clock_api.router, ops_router, revocation_router]:
            for route in router.routes:
                if isinstance(route, APIRoute):
                    ops += [f"{m} {route.path}" for m in sorted(route.methods or ()) if m != "HEAD"]
        return ops

    @property
    def schema(self) -> str:
        return self.name


class ServiceHost:
    """Owns the resources of a running service; reachable as `app.state.host`."""

    def __init__(self, spec: ServiceSpec) -> None:
        self.spec, self.settings = spec, spec.settings
        self._pool: asyncpg.Pool | None = None
        self.producer: AIOKafkaProducer | None = None
        self.producer_ready = asyncio.Event()
        self.relay: OutboxRelay | None = None
        self.tasks: list[asyncio.Task[Any]] = []
        self._clock = clock_api.Clock()
        self.lag_sources: list[ops.LagSource] = list(spec.lag_sources)
        self.gauges: ops.StatusGauges | None = None
        self.stopping = False
        self.consumers: list[IdempotentConsumer] = []
        self.revocations = RevocationList()

    @property
    def clock(self) -> clock_api.Clock:
        return self._clock

    @property
    def pool(self) -> asyncpg.Pool:
        assert self._pool is not None, "service not started"
        return self._pool

    async def start(self) -> None:
        await migrate_service(self.settings.database_url, self.spec.schema, self.spec.migrations)
        self._pool = await create_pool(self.settings.database_url, self.spec.schema, max_size=self.spec.pool_size)
        # Before the first request: a revoked token is refused from the start, with or without the broker.
        await load_revocations(self._pool, self.spec.schema, self.revocations)
        self.tasks.append(asyncio.create_task(
            follow_revocations(self.settings, self._pool, self.spec.schema, self.revocations), name="revocations"))
        self.tasks.append(asyncio.create_task(self._run_messaging(), name=f"{self.spec.name}-messaging"))
        self.tasks.append(asyncio.create_task(self._refresh_gauges(), name=f"{self.spec.name}-gauges"))
        for job in self.spec.jobs:
            self.tasks.append(asyncio.create_task(self._guard(job.__name__, job), name=job.__name__))

    async def _start_producer(self) -> AIOKafkaProducer:
        backoff = 0.5
        while True:
            producer = make_producer(self.settings)
            try:
                await producer.start()
                return producer
            except (KafkaError, OSError) as exc:
                with contextlib.suppress(Exception):
                    await producer.stop()
                log.warning("broker unreachable; outbox keeps events until it is back", error=repr(exc))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    async def _run_messaging(self) -> None:
        self.producer = await self._start_producer()
        self.producer_ready.set()
        self.relay = OutboxRelay(
            self.pool, self.spec.schema, self.producer,
            batch=self.settings.outbox_batch, poll_seconds=self.settings.outbox_poll_seconds,
            retention_hours=self.settings.outbox_retention_days * 24,
        )
        runners: list[Awaitable[None]] = [self._guard("outbox-relay", lambda _: self.relay.run())]  # type: ignore[union-attr]
        for spec in self.spec.consumers:
            consumer = IdempotentConsumer(
                settings=self.settings, pool=self.pool, schema=self.spec.schema,
                name=f"{self.spec.name}.{spec.name}", topics=spec.topics, handler=spec.handler,
                producer=self.producer,
            )
            self.lag_sources.append(consumer)
            self.consumers.append(consumer)
            runners.append(self._guard(f"consumer {spec.name}", _runner(consumer)))
        await asyncio.gather(*runners)

    async def status(self) -> dict[str, Any]:
        """Consumer lag and relay backlog now (what `/ops/status` and the gauges show)."""
        try:
            relay: dict[str, Any] | None = await ops.relay_backlog(self.pool, self.spec.schema)
        except Exception:  # the database is down: report what is known
            relay = None
        return {"service": self.spec.name, "consumers": await ops.consumer_lags(self.lag_sources), "relay": relay}

    async def _refresh_gauges(self) -> None:
        self.gauges = ops.StatusGauges(self.spec.name)
        while True:
            with contextlib.suppress(Exception):
                snapshot = await self.status()
                try:
                    snapshot["deadletters"] = await asyncio.wait_for(deadletters.count(self.settings), 5)
                except Exception:  # the broker is down: the count is unknown, not zero
                    snapshot["deadletters"] = None
                self.gauges.snapshot = snapshot
            await asyncio.sleep(ops.REFRESH_SECONDS)

    async def _guard(self, what: str, job: Callable[[ServiceHost], Awaitable[None]]) -> None:
        """Keep a background loop alive: log a crash, pause, start it again."""
        while True:
            try:
                await job(self)
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                if self.stopping:  # a loop that outlived its cancellation fails on the closed pool: let it end
                    return
                log.exception("background task crashed; restarting", task=what)
                await asyncio.sleep(1.0)

    async def stop(self, timeout: float = 5.0) -> None:
        """Cancel the loops and close clients, each bounded: a dead broker must not hold up shutdown."""
        self.stopping = True
        for consumer in self.consumers:
            consumer.stopping = True
        await finish(self.tasks, timeout)
        if self.producer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.producer.stop(), timeout)
        if self._pool is not None:
            try:
                await asyncio.wait_for(self._pool.close(), timeout)
            except TimeoutError:
                self._pool.terminate()

    async def ready(self) -> dict[str, str]:
        checks: dict[str, str] = {}
        try:
            async with self.pool.acquire(timeout=2) as conn:
                await conn.fetchval("SELECT 1")
            checks["database"] = "ok"
        except Exception as exc:  # readiness reports, it does not raise
            checks["database"] = f"unavailable: {exc.__class__.__name__}"
        checks["broker"] = "ok" if self.producer_ready.is_set() and (self.relay is None or self.relay.healthy) \
            else "unavailable"
        for name, check in self.spec.readiness.items():
            checks[name] = check()
        return checks


def _runner(consumer: IdempotentConsumer) -> Callable[[ServiceHost], Awaitable[None]]:
    async def run(_: ServiceHost) -> None:
        await consumer.run()

    return run


async def _load_keys(keys: JwksKeys) -> asyncio.Task[None]:
    """The provider's keys before the first request if it answers within seconds; else the hub's own
    tokens work at once and the provider's once the background refresh reaches it."""
    try:
        await asyncio.wait_for(keys.refresh(), 5.0)
    except Exception as exc:
        log.warning("OIDC keys not loaded at start; retrying in the background", error=repr(exc))
    return asyncio.create_task(keys.run(), name="oidc-keys")


def build_app(spec: ServiceSpec) -> FastAPI:
    settings = spec.settings
    install_calendar(settings)
    telemetry.setup(spec.name, endpoint=settings.otel_endpoint, log_level=settings.log_level,
                    log_json=settings.log_json)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        host = ServiceHost(spec)
        host._clock = app.state.clock
        host.revocations = app.state.revocations
        app.state.host = host
        await host.start()
        refreshing = await _load_keys(keys) if keys is not None else None
        log.info("service started", port=settings.http_port)
        try:
            yield
        finally:
            if refreshing is not None:
                refreshing.cancel()
            await host.stop()

    app = FastAPI(title=f"gov-hub {spec.name}", description=spec.description, version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.clock = clock_api.Clock(
        datetime.fromisoformat(settings.simulated_start) if settings.simulated_clock else None
    )
    problems.install(app)
    keys = JwksKeys(settings.oidc()) if settings.oidc_jwks_url else None
    app.state.revocations = revoked = RevocationList()
    app.state.verifier = verifier = TokenVerifier(settings.jwt_secret, keys, revoked)
    if settings.workers > 1 and not spec.scales_out:
        raise ValueError(f"{spec.name} runs as one process: HUB_WORKERS must be 1")
    policy = spec.access_policy()
    policy.check_covers(spec.operations(), spec.name)
    if spec.lean_routes:  # added first, so innermost: the guard and the audit trail see these requests too
        app.add_middleware(LeanRoutes, routes=spec.lean_routes)
    app.add_middleware(RequestGuard, verify=verifier.verify, policy=policy, json_limit=settings.max_json_bytes,
                       body_limit=settings.max_body_bytes, limits=spec.body_limits,
                       write_rates=settings.write_rates, gateway_rate=settings.gateway_rate)
    # Outside the guard, so that what the guard refuses is in the trail too.
    app.add_middleware(AuditTrail, pool=lambda: app.state.host.pool, verify=verifier.verify,
                       reads=spec.audited_reads)
    app.include_router(audit.router)
    app.include_router(clock_api.router)
    app.include_router(ops.router)
    app.include_router(revocation_router)

    @app.get("/health", tags=["ops"], summary="Liveness")
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": spec.name}

    @app.get("/ready", tags=["ops"], summary="Readiness: database and broker reachable, the service's own checks")
    async def ready() -> JSONResponse:
        checks = await app.state.host.ready()
        ok = all(v == "ok" for v in checks.values())
        body = {"status": "ready" if ok else "not-ready", "service": spec.name, "checks": checks}
        return JSONResponse(body, status_code=200 if ok else 503)

    for router in spec.routers:
        app.include_router(router)
    if spec.configure:
        spec.configure(app)
    try:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(app, excluded_urls=",".join(["health", "ready", *spec.traced_by_hand]))
    except Exception:  # instrumentation is best effort; the service must run without it
        log.warning("FastAPI instrumentation unavailable")
    return app
