"""Inspectors record findings; they go out through the outbox and come back through Kafka like any fact."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from contracts.values import Uscc
from fastapi import APIRouter, Request
from hubkit.auth import CurrentPrincipal
from pydantic import BaseModel, Field

from scoring.api import deps
from scoring.service import commands as c
from scoring.service import handlers

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
    event = await handlers.record_finding(cmd, deps.uow(request), deps.ruleset(request), deps.live(request))
    return {"event_id": str(event.id), "finding_id": body.finding_id, "item": body.item,
            "occurred_at": occurred.isoformat()}
