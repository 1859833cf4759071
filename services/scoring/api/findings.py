"""Inspectors record findings; they go out through the outbox and come back through Kafka like any fact."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from contracts import new_envelope
from contracts.scoring import FindingRecorded
from contracts.values import Uscc
from fastapi import APIRouter, Request
from hubkit import outbox
from hubkit.auth import CurrentPrincipal, Role
from hubkit.problems import Problem
from pydantic import BaseModel, Field, ValidationError

from scoring.api import deps
from scoring.domain.finding_rules import FindingRejected, check_finding

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
    principal.require(Role.inspector)
    projection = deps.projector(request).projection
    reg = projection.store.directory.get(body.unit)
    try:
        check_finding(deps.ruleset(request), item=body.item, effect=body.effect,
                      unit_kind=reg.kind if reg else None, attributed_unit=body.attributed_unit, unit=body.unit)
        payload = FindingRecorded(
            finding_id=body.finding_id, item=body.item, effect=body.effect, count=body.count,
            numerator=body.numerator, denominator=body.denominator, size=body.size,
            attributed_unit=body.attributed_unit, note=body.note, inspector=principal.subject,
        )
    except FindingRejected as exc:
        raise Problem(422, "Finding rejected", str(exc), kind="finding-rejected") from None
    except ValidationError as exc:
        reason = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'finding'}: {e['msg']}" for e in exc.errors())
        raise Problem(422, "Finding rejected", reason, kind="finding-rejected") from None
    occurred = deps.aware(body.occurred_at, "occurred_at") if body.occurred_at else deps.now(request)
    envelope = new_envelope(payload, unit=body.unit, occurred_at=occurred)
    async with deps.pool(request).acquire() as conn, conn.transaction():
        first = await conn.fetchval(
            "INSERT INTO findings (finding_id, event_id, unit, item, effect, inspector, occurred_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING true",
            body.finding_id, envelope.id, body.unit, body.item, body.effect, principal.subject, occurred)
        if not first:
            raise Problem(409, "Conflict", f"finding {body.finding_id} was already recorded", kind="conflict")
        await outbox.add(conn, "scoring", envelope)
    return {"event_id": str(envelope.id), "finding_id": body.finding_id, "item": body.item,
            "occurred_at": occurred.isoformat()}
