"""Operators' view of a service's messaging: consumer lag, relay backlog, dead letters, re-drive.

Mounted in every service (`/ops/...`, operators only; auditors may read). `hub status` and
`hub deadletters` call it; the same figures are OpenTelemetry gauges (`hub.consumer.lag`,
`hub.outbox.unsent`, `hub.outbox.oldest_unsent_seconds`), refreshed every few seconds.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Protocol

from contracts import workdays
from fastapi import APIRouter, Query, Request

from . import deadletters
from .auth import CurrentPrincipal, Role
from .problems import Problem, conflict, not_found
from .telemetry import get_logger, meter

log = get_logger(__name__)
router = APIRouter(prefix="/ops", tags=["ops"])
REFRESH_SECONDS = 5.0


class LagSource(Protocol):
    name: str

    async def lag(self) -> int | None: ...


async def relay_backlog(pool: Any, schema: str) -> dict[str, Any]:
    row = await pool.fetchrow(
        f"SELECT count(*) AS unsent, extract(epoch FROM now() - min(created_at)) AS oldest "
        f"FROM {schema}.outbox WHERE sent_at IS NULL")
    state = await pool.fetchrow(f"SELECT cluster_id, reseeded_at, reseeded_rows FROM {schema}.relay_state")
    return {"unsent": int(row["unsent"]), "oldest_unsent_seconds": round(float(row["oldest"] or 0.0), 1),
            "cluster_id": state["cluster_id"] if state else None,
            "reseeded_at": state["reseeded_at"].isoformat() if state and state["reseeded_at"] else None,
            "reseeded_rows": int(state["reseeded_rows"]) if state else 0}


async def consumer_lags(sources: list[LagSource]) -> list[dict[str, Any]]:
    out = []
    for source in sources:
        try:
            lag = await asyncio.wait_for(source.lag(), 5)
        except Exception as exc:  # a broker that is down: say so, do not fail the status
            log.debug("lag unavailable", consumer=source.name, error=repr(exc))
            lag = None
        out.append({"consumer": source.name, "lag": lag})
    return out


class StatusGauges:
    """The last status snapshot, read by the OpenTelemetry gauges (their callbacks are synchronous)."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.snapshot: dict[str, Any] = {}
        from opentelemetry.metrics import CallbackOptions, Observation

        def lags(_: CallbackOptions) -> list[Observation]:
            return [Observation(c["lag"], {"service": service, "consumer": c["consumer"]})
                    for c in self.snapshot.get("consumers", []) if c["lag"] is not None]

        def unsent(_: CallbackOptions) -> list[Observation]:
            relay = self.snapshot.get("relay")
            return [Observation(relay["unsent"], {"service": service})] if relay else []

        def oldest(_: CallbackOptions) -> list[Observation]:
            relay = self.snapshot.get("relay")
            return [Observation(relay["oldest_unsent_seconds"], {"service": service})] if relay else []

        m = meter()
        m.create_observable_gauge("hub.consumer.lag", [lags], description="events not yet applied, per consumer")
        m.create_observable_gauge("hub.outbox.unsent", [unsent], description="outbox rows not yet published")
        m.create_observable_gauge("hub.outbox.oldest_unsent_seconds", [oldest], unit="s",
                                  description="age of the oldest unpublished outbox row")


@router.get("/status", summary="Consumer lag, relay backlog and dead letters of this service")
async def status(request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    principal.require(Role.operator, Role.auditor)
    host = request.app.state.host
    body = await host.status()
    try:
        body["deadletters"] = await asyncio.wait_for(deadletters.count(host.settings), 10)
    except Exception:  # the broker is down: the rest of the status still answers
        body["deadletters"] = None
    # years whose working days were counted without an official holiday schedule (install it)
    body["calendar_provisional_years"] = workdays.provisional_years()
    return body


@router.get("/deadletters", summary="The newest dead letters (reason, consumer, original topic/partition/offset)")
async def list_letters(request: Request, principal: CurrentPrincipal,
                       limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    principal.require(Role.operator, Role.auditor)
    host = request.app.state.host
    letters = await deadletters.read(host.settings, limit=limit)
    redriven = {r["letter_id"] for r in await host.pool.fetch(
        "SELECT DISTINCT letter_id FROM redrives WHERE letter_id = ANY($1::text[])", [d.id for d in letters])}
    return {"letters": [{**d.summary(), "redriven": d.id in redriven} for d in letters]}


@router.get("/deadletters/{letter_id}", summary="One dead letter with its original bytes and its re-drives")
async def show_letter(request: Request, principal: CurrentPrincipal, letter_id: str) -> dict[str, Any]:
    principal.require(Role.operator, Role.auditor)
    host = request.app.state.host
    try:
        letter = await deadletters.get(host.settings, letter_id)
    except deadletters.NotFound:
        raise not_found("dead letter", letter_id) from None
    redrives = await host.pool.fetch(
        "SELECT actor, topic, kafka_partition, kafka_offset, redriven_at FROM redrives WHERE letter_id = $1 "
        "ORDER BY redriven_at", letter.id)
    return {**letter.detail(), "redrives": [{"actor": r["actor"], "topic": r["topic"],
                                             "partition": r["kafka_partition"], "offset": r["kafka_offset"],
                                             "at": r["redriven_at"].isoformat()} for r in redrives]}


@router.post("/deadletters/{letter_id}/redrive", summary="Publish the original back to its topic (after a fix)")
async def redrive_letter(request: Request, principal: CurrentPrincipal, letter_id: str,
                         again: Annotated[bool, Query(description="re-drive a letter re-driven before")] = False,
                         ) -> dict[str, Any]:
    principal.require(Role.operator)
    host = request.app.state.host
    if not host.producer_ready.is_set():
        raise Problem(503, "Broker unavailable", "the broker is not reachable now; try again", kind="unavailable")
    try:
        return await deadletters.redrive(host.settings, host.producer, host.pool, letter_id,
                                         actor=principal.subject, again=again)
    except deadletters.NotFound as exc:
        raise not_found("dead letter", f"{letter_id} ({exc})") from None
    except deadletters.AlreadyRedriven as exc:
        raise conflict(f"{exc}; add ?again=true to re-drive it once more") from None
    except deadletters.NotPermitted as exc:
        raise Problem(403, "Forbidden", str(exc), kind="forbidden") from None
