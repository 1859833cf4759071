"""A unit's to-do list: what it can still do in time (documents due, requests to decide, findings it may
appeal), each with its deadline in PRC working days and what missing it costs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from hubkit.auth import CurrentPrincipal
from hubkit.problems import not_found

from scoring.api import deps
from scoring.domain.clock import SHANGHAI, to_datetime, to_instant
from scoring.service import queries

router = APIRouter(tags=["to-do"])


@router.get("/todo/{unit}", summary="What the unit can still do in time, nearest deadline first")
async def todo(unit: str, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    now = deps.now(request)
    found = await queries.todo(deps.pool(request), deps.live(request), unit, deps.requirements(request),
                               deps.ruleset(request), to_instant(now), request.app.state.settings.appeal_working_days)
    if found is None:
        raise not_found("unit checked now", unit)
    return {"unit": unit, "as_of": now.astimezone(SHANGHAI).isoformat(), "items": [
        {"kind": t.kind, "what": t.what, "due": to_datetime(t.due).astimezone(SHANGHAI).isoformat(),
         "working_days_left": t.working_days_left, "how": t.how, "item": t.item,
         "points": str(t.points) if t.points is not None else None} for t in found]}
