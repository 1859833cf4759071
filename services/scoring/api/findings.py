"""Inspectors record findings; they go out through the outbox and come back through Kafka like any fact."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from contracts.values import Uscc
from fastapi import APIRouter, Query, Request
from hubkit.auth import CurrentPrincipal, Role
from hubkit.problems import Problem
from pydantic import BaseModel, Field

from scoring.api import deps
from scoring.domain.clock import SHANGHAI
from scoring.service import commands as c
from scoring.service import handlers, queries
from scoring.service.ports import FindingRow

router = APIRouter(prefix="/findings", tags=["findings"])


class FindingCreate(BaseModel):
    finding_id: str = Field(min_length=1, max_length=100)
    unit: Uscc = Field(description="the unit the finding is about")
    item: str = Field(description="rule item id, e.g. A1.2")
    effect: Literal["occurrence", "holds", "resolved", "rate", "achieved"]
    count: int | None = None
    numerator: int | None = None
    denominator: int | None = None
    size: int | None = None
    attributed_unit: Uscc | None = None
    note: str = ""
    occurred_at: datetime | None = Field(None, description="when the finding holds; default: now")


@router.post("", status_code=202, summary="Record an inspector's finding (scored when it comes back from Kafka)")
async def record(body: FindingCreate, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    occurred = deps.aware(body.occurred_at, "occurred_at") if body.occurred_at else deps.now(request)
    cmd = c.RecordFinding(actor=principal, finding_id=body.finding_id, unit=body.unit, item=body.item,
                          effect=body.effect, count=body.count, numerator=body.numerator,
                          denominator=body.denominator, size=body.size, attributed_unit=body.attributed_unit,
                          note=body.note, at=occurred)
    event = await handlers.record_finding(cmd, deps.uow(request), deps.ruleset(request), deps.live(request),
                                         frozenset(deps.inventory_rules(request).items()))
    return {"event_id": str(event.id), "finding_id": body.finding_id, "item": body.item,
            "occurred_at": occurred.isoformat()}


class RetractBody(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="why the finding is withdrawn")


def _view(row: FindingRow) -> dict[str, Any]:
    def local(value: datetime | None) -> str | None:
        return value.astimezone(SHANGHAI).isoformat() if value is not None else None

    return {"finding_id": row.finding_id, "event_id": str(row.event_id), "unit": row.unit, "item": row.item,
            "effect": row.effect, "count": row.count, "attributed_unit": row.attributed_unit, "note": row.note,
            "inspector": row.inspector, "occurred_at": local(row.occurred_at),
            "status": "retracted" if row.retracted_at else "recorded", "retracted_at": local(row.retracted_at),
            "retracted_by": row.retracted_by, "retract_reason": row.retract_reason}


@router.get("", summary="Findings, newest first: about a unit or attributed to it, by item, month and status")
async def list_findings(
    request: Request, principal: CurrentPrincipal,
    unit: Uscc | None = None, item: Annotated[str | None, Query(max_length=8)] = None,
    month: Annotated[str | None, Query(pattern=r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$")] = None,
    status: Annotated[Literal["recorded", "retracted"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    if principal.role is Role.department:
        if unit is None:
            raise Problem(422, "Invalid request", "unit: a department lists the findings of its own unit",
                          kind="invalid-request")
        principal.ensure_unit(unit)
    rows = await queries.findings(deps.pool(request), unit=unit, item=item, month=month, status=status, limit=limit)
    return [_view(r) for r in rows]


@router.post("/{finding_id}/retract", summary="Withdraw a finding with the reason: it never counted")
async def retract(finding_id: str, body: RetractBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    cmd = c.RetractFinding(actor=principal, finding_id=finding_id, reason=body.reason, at=deps.now(request))
    return _view(await handlers.retract_finding(cmd, deps.uow(request)))
