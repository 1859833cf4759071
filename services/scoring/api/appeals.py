"""Appeals against findings: the unit lodges one within the window, the bureau decides it once."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from contracts.values import Uscc
from fastapi import APIRouter, Query, Request
from hubkit.auth import CurrentPrincipal, Role
from pydantic import BaseModel, Field

from scoring.api import deps
from scoring.domain.clock import SHANGHAI
from scoring.service import appeals as handlers
from scoring.service import commands as c
from scoring.service import queries
from scoring.service.ports import AppealRow

router = APIRouter(tags=["appeals"])


class AppealBody(BaseModel):
    reason: str = Field(min_length=1, max_length=4000, description="why the finding is wrong")
    file_name: str | None = Field(None, min_length=1, max_length=200, description="a supporting document's name")
    file_base64: str | None = Field(None, min_length=1, description="the document (PDF, OFD or office), base64")


class DecisionBody(BaseModel):
    upheld: bool = Field(description="true: the finding is withdrawn with its deduction")
    reason: str = Field(min_length=1, max_length=4000, description="the bureau's reason")


def _view(row: AppealRow) -> dict[str, Any]:
    decided = row.decided_at.astimezone(SHANGHAI).isoformat() if row.decided_at else None
    return {"appeal_id": row.appeal_id, "finding_id": row.finding_id, "unit": row.unit,
            "lodged_at": row.lodged_at.astimezone(SHANGHAI).isoformat(), "reason": row.reason,
            "file_name": row.file_name, "file_sha256": row.file_sha256, "status": row.status,
            "decided_at": decided, "decided_by": row.decided_by, "decision_reason": row.decision_reason}


@router.post("/findings/{finding_id}/appeal", status_code=201,
             summary="Appeal a finding about the unit (or attributed to it) within the appeal window")
async def lodge(finding_id: str, body: AppealBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    data = deps.document_bytes(body.file_base64) if body.file_base64 is not None else None
    cmd = c.Appeal(actor=principal, finding_id=finding_id, reason=body.reason, file_name=body.file_name, file=data,
                   at=deps.now(request))
    return _view(await handlers.lodge(cmd, deps.uow(request), request.app.state.settings.appeal_working_days))


@router.get("/appeals", summary="Appeals, newest first (a department: its own unit's)")
async def list_appeals(
    request: Request, principal: CurrentPrincipal, unit: Uscc | None = None,
    status: Annotated[Literal["lodged", "upheld", "rejected"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    if principal.role is Role.department:
        unit = principal.unit
    return [_view(r) for r in await queries.appeals(deps.pool(request), unit=unit, status=status, limit=limit)]


@router.post("/appeals/{appeal_id}/decision", summary="Uphold an appeal (the finding is withdrawn) or reject it")
async def decide(appeal_id: str, body: DecisionBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    cmd = c.DecideAppeal(actor=principal, appeal_id=appeal_id, upheld=body.upheld, reason=body.reason,
                         at=deps.now(request))
    return _view(await handlers.decide(cmd, deps.uow(request)))
