"""Month close: freeze every unit's result with a hash; later facts show as adjustments beside it."""

from __future__ import annotations

from typing import Any

from contracts import new_envelope
from contracts.scoring import ClosedResult, MonthClosed
from fastapi import APIRouter, Request
from hubkit import outbox
from hubkit.auth import CurrentPrincipal, Role
from hubkit.problems import Problem, conflict, not_found

from scoring.api import deps
from scoring.domain.clock import month_bounds, month_of, to_datetime
from scoring.domain.engine import evaluate
from scoring.storage import months

router = APIRouter(prefix="/months", tags=["months"])


@router.post("/{month}/close", status_code=201, summary="Close a month: freeze each unit's result and its hash")
async def close(month: str, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    principal.require(Role.operator)
    deps.month_or_current(request, month)
    projector = deps.projector(request)
    wm = projector.projection.watermark
    _, end = month_bounds(month)
    if wm is None or wm < end:
        seen = to_datetime(wm).isoformat() if wm is not None else "nothing"
        raise Problem(409, "Conflict", f"{month} has not ended in event time yet (latest event: {seen})",
                      kind="month-not-ended")
    store = projector.projection.store
    result = evaluate(deps.ruleset(request), store.directory, store, month, end)
    as_of = to_datetime(end)
    settings = request.app.state.settings
    async with deps.pool(request).acquire() as conn, conn.transaction():
        if await months.is_closed(conn, month):
            raise conflict(f"{month} is already closed")
        position = projector.position
        frozen = await months.freeze(conn, result, last_position=position, as_of=as_of, closed_by=principal.subject)
        event = new_envelope(MonthClosed(
            month=month, ruleset=result.ruleset_id, ruleset_version=result.ruleset_version, last_position=position,
            results=[ClosedResult(unit=u, total=t, sha256=h) for u, t, h in frozen],
        ), unit=settings.bureau_unit, occurred_at=deps.now(request))
        await outbox.add(conn, "scoring", event)
    return {"month": month, "ruleset": result.ruleset_id, "ruleset_version": result.ruleset_version,
            "last_position": position, "sha256": result.sha256(), "units": len(frozen)}


@router.get("/{month}", summary="A month: closed or live, its frozen results and later adjustments")
async def read(month: str, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    principal.require(Role.operator, Role.auditor, Role.inspector, Role.service)
    deps.month_or_current(request, month)
    start, end = month_bounds(month)
    async with deps.pool(request).acquire() as conn:
        info = await months.closed(conn, month)
        if info is None:
            wm = deps.projector(request).projection.watermark
            if wm is None or month_of(wm) < month:
                raise not_found("month", month)
            return {"month": month, "closed": False}
        frozen = await months.frozen_results(conn, month)
        late = await months.late_facts(conn, month, info["last_position"], to_datetime(start), to_datetime(end))
    return {
        "month": month, "closed": True, "ruleset": info["ruleset"], "ruleset_version": info["ruleset_version"],
        "last_position": info["last_position"], "sha256": info["sha256"], "closed_at": info["closed_at"].isoformat(),
        "units": [{"unit": r["unit"], "frozen_total": str(r["frozen_total"]), "sha256": r["sha256"],
                   "adjusted_total": str(r["live_total"]) if r["live_total"] is not None else None,
                   "adjusted": r["live_total"] is not None and r["live_total"] != r["frozen_total"]}
                  for r in frozen],
        "adjustments": [{"position": r["position"], "event_id": str(r["event_id"]), "type": r["type"],
                         "unit": r["unit"], "occurred_at": r["occurred_at"].isoformat()} for r in late],
    }
