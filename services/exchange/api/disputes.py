"""Quality disputes: a consumer raises one within 2 working days of receiving the data; the provider
answers within 3; an upheld dispute emits exchange.dispute-upheld."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contracts.values import ResourceCode
from fastapi import APIRouter, Request
from hubkit.auth import CurrentPrincipal, Role
from hubkit.deps import now as now_of
from hubkit.deps import pool
from hubkit.problems import forbidden
from pydantic import BaseModel, Field

from exchange.api.common import local_iso, uow
from exchange.service import commands as c
from exchange.service import handlers, queries

router = APIRouter(prefix="/disputes", tags=["disputes"])


class DisputeBody(BaseModel):
    resource_code: ResourceCode
    description: str = Field(min_length=1, max_length=2000, description="e.g. 信息项缺失, 数据不准确")


class AnswerBody(BaseModel):
    upheld: bool = Field(description="the data was indeed inconsistent")
    answer: str = Field(min_length=1, max_length=2000)


@router.post("", status_code=201, summary="Raise a quality dispute on received data")
async def raise_dispute(body: DisputeBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    cmd = c.RaiseDispute(actor=principal, resource_code=body.resource_code, description=body.description,
                         at=now_of(request))
    raised = await handlers.raise_dispute(cmd, uow(request))
    return {**raised, "answer_due": local_iso(raised["answer_due"])}


@router.post("/{dispute_id}/answer", summary="The provider answers; upheld emits exchange.dispute-upheld")
async def answer(dispute_id: str, body: AnswerBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    cmd = c.AnswerDispute(actor=principal, dispute_id=dispute_id, upheld=body.upheld, answer=body.answer,
                          at=now_of(request))
    return await handlers.answer_dispute(cmd, uow(request))


@router.get("", summary="Disputes (a department: those it raised or received)")
async def list_disputes(request: Request, principal: CurrentPrincipal,
                        status: str | None = None) -> list[dict[str, Any]]:
    if principal.role is Role.department:
        unit: str | None = principal.unit
    elif principal.role in (Role.operator, Role.auditor, Role.inspector):
        unit = None
    else:
        raise forbidden(f"role {principal.role.value} does not read disputes")
    now = now_of(request)
    rows = await queries.disputes(pool(request), unit=unit, status=status)
    return [{**{k: local_iso(v) if isinstance(v, datetime) else v for k, v in r.items()},
             "overdue": r["status"] == "open" and now >= r["answer_due"]} for r in rows]
