"""Month close: freeze every unit's result with a hash; later facts show as adjustments beside it."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from hubkit.auth import CurrentPrincipal, Role
from hubkit.db import json_value
from hubkit.problems import conflict, not_found

from scoring.api import deps
from scoring.audit import NotClosed, ruleset_file
from scoring.domain.clock import month_bounds, month_of
from scoring.service import commands as c
from scoring.service import handlers, queries

router = APIRouter(prefix="/months", tags=["months"])


@router.post("/{month}/close", status_code=201, summary="Close a month: freeze each unit's result and its hash")
async def close(month: str, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    deps.month_or_current(request, month)
    cmd = c.CloseMonth(actor=principal, month=month, bureau_unit=request.app.state.settings.bureau_unit,
                       at=deps.now(request))
    return await handlers.close_month(cmd, deps.uow(request), deps.live(request))


@router.get("/{month}", summary="A month: closed or live, its frozen results and later adjustments")
async def read(month: str, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    principal.require(Role.operator, Role.auditor, Role.inspector, Role.service)
    deps.month_or_current(request, month)
    start, end = month_bounds(month)
    closed = await queries.closed_month(deps.pool(request), month, start, end)
    if closed is None:
        wm = deps.projector(request).projection.watermark
        if wm is None or month_of(wm) < month:
            raise not_found("month", month)
        return {"month": month, "closed": False}
    info, frozen, late = closed
    return {
        "month": month, "closed": True, "ruleset": info["ruleset"], "ruleset_version": info["ruleset_version"],
        "last_position": info["last_position"], "sha256": info["sha256"], "closed_at": info["closed_at"].isoformat(),
        "units": [{"unit": r["unit"], "frozen_total": str(r["frozen_total"]), "sha256": r["sha256"],
                   "adjusted_total": str(r["live_total"]) if r["live_total"] is not None else None,
                   "adjusted": r["live_total"] is not None and r["live_total"] != r["frozen_total"],
                   "under_appeal": json_value(r["under_appeal"])}
                  for r in frozen],
        "adjustments": [{"position": r["position"], "event_id": str(r["event_id"]), "type": r["type"],
                         "unit": r["unit"], "occurred_at": r["occurred_at"].isoformat(), "reason": r["reason"]}
                        for r in late],
    }


@router.get("/{month}/evidence", response_class=StreamingResponse,
            responses={200: {"content": {"application/zip": {}}, "description": "the evidence package"}},
            summary="A closed month's evidence package: its events, ruleset, sealed results, manifest (ZIP)")
async def evidence(month: str, request: Request, principal: CurrentPrincipal) -> StreamingResponse:
    """Everything an auditor needs to reproduce the month without the hub: `hub-scoring verify FILE`."""
    principal.require(Role.operator, Role.auditor)
    deps.month_or_current(request, month)
    name = f"evidence-{month}.zip"
    package = tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024)
    try:
        manifest = await queries.evidence(deps.pool(request), month, ruleset_file(request.app.state.settings),
                                          package, name)
    except NotClosed:
        package.close()
        raise not_found("closed month", month) from None
    except ValueError as exc:
        package.close()
        raise conflict(str(exc)) from None
    package.seek(0)

    def chunks() -> Iterator[bytes]:
        with package:
            while data := package.read(1024 * 1024):
                yield data

    return StreamingResponse(chunks(), media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "X-Evidence-Seal": manifest["seal"],
        "X-Evidence-Archive-Head": manifest["archive_head"]})
