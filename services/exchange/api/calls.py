"""The call log (every gateway call and every reported call) and its statistics per hour, day or month.
Providers and consumers see the calls they answered or made; the bureau's roles see all."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from contracts.values import ResourceCode, Uscc
from contracts.workdays import SHANGHAI
from fastapi import APIRouter, Query, Request
from hubkit.auth import CurrentPrincipal, Principal, Role
from hubkit.deps import pool
from hubkit.problems import Problem

from exchange.api.common import local_iso
from exchange.service import queries

router = APIRouter(tags=["calls"])
Status = Literal["ok", "failed", "timeout", "unavailable", "server_error", "bad_response", "over_quota"]


def _filters(principal: Principal, resource: str | None, consumer: str | None, provider: str | None,
             start: datetime | None, end: datetime | None, status: str | None) -> dict[str, Any]:
    for name, at in (("from", start), ("to", end)):
        if at is not None and at.tzinfo is None:
            raise Problem(422, "Unprocessable Content", f"{name}: give the instant with its offset (RFC 3339)",
                          kind="validation")
    if start is not None and end is not None and end <= start:
        raise Problem(422, "Unprocessable Content", "to must be after from", kind="validation")
    party = principal.unit if principal.role is Role.department else None
    return {"party": party, "resource": resource, "consumer": consumer, "provider": provider, "start": start,
            "end": end, "status": status}


def _call(r: Any) -> dict[str, Any]:
    return {"id": r["id"], "consumer": r["consumer"], "provider": r["provider"], "resource_code": r["resource_code"],
            "started_at": local_iso(r["started_at"]), "ended_at": local_iso(r["ended_at"]),
            "duration_ms": round(r["duration_ms"], 1), "status_code": r["status_code"], "succeeded": r["succeeded"],
            "error": r["error"], "request_bytes": r["request_bytes"], "response_bytes": r["response_bytes"],
            "reported": r["reported"], "refused": r["refused"], "system_id": r["system_id"], "channel": r["channel"]}


@router.get("/calls", summary="The call log: newest first, filtered; a department sees the calls it made or answered")
async def call_log(
    request: Request, principal: CurrentPrincipal,
    resource: Annotated[ResourceCode | None, Query(description="the called resource")] = None,
    consumer: Annotated[Uscc | None, Query(description="the calling unit")] = None,
    provider: Annotated[Uscc | None, Query(description="the answering unit")] = None,
    start: Annotated[datetime | None, Query(alias="from", description="started at or after (RFC 3339)")] = None,
    end: Annotated[datetime | None, Query(alias="to", description="started before (RFC 3339)")] = None,
    status: Annotated[Status | None, Query(description="ok, failed, one kind of failure, or over_quota (refused by "
                                                        "the gateway, never sent to the provider)")] = None,
    before: Annotated[str | None, Query(max_length=200, description="the `next` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    filters = _filters(principal, resource, consumer, provider, start, end, status)
    rows = await queries.calls(pool(request), before=_cursor(before), limit=limit, **filters)
    last = rows[-1] if len(rows) == limit else None
    return {"calls": [_call(r) for r in rows],
            "next": f"{last['started_at'].isoformat()}|{last['id']}" if last is not None else None}


def _cursor(before: str | None) -> tuple[datetime, str] | None:
    if before is None:
        return None
    at, _, call_id = before.partition("|")
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        when = None
    if when is None or when.tzinfo is None or not call_id:
        raise Problem(422, "Unprocessable Content", "before: pass the `next` value of the previous page",
                      kind="validation")
    return when, call_id


@router.get("/stats/calls", summary="Calls per hour, day or month: counts, failures by kind, p50/p95/p99, bytes")
async def call_stats(
    request: Request, principal: CurrentPrincipal,
    window: Annotated[Literal["hour", "day", "month"], Query(description="the length of each bucket")] = "day",
    resource: Annotated[ResourceCode | None, Query()] = None,
    consumer: Annotated[Uscc | None, Query()] = None,
    provider: Annotated[Uscc | None, Query()] = None,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    filters = _filters(principal, resource, consumer, provider, start, end, None)
    rows = await queries.call_buckets(pool(request), size=window, **filters)
    return {"window": window, "buckets": [
        {"start": r["bucket"].replace(tzinfo=SHANGHAI).isoformat(), "calls": r["calls"], "failed": r["failed"],
         "failure_rate": round(r["failed"] / r["calls"], 4) if r["calls"] else 0.0, "failures": {
             "timeout": r["timeouts"], "unavailable": r["unavailable"], "server_error": r["server_errors"],
             "bad_response": r["bad_responses"]}, "over_quota": r["over_quota"],
         "p50_ms": _ms(r["p50"]), "p95_ms": _ms(r["p95"]), "p99_ms": _ms(r["p99"]),
         "request_bytes": r["request_bytes"], "response_bytes": r["response_bytes"]} for r in rows]}


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)  # a bucket of refused calls only has no durations
