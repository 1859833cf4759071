"""Quality disputes as seed 003 §22(五) has them: a unit that receives the data reports a doubt or an error
whenever it finds one (within 2 working days of finding it, or marked late), naming the records concerned;
the provider answers with its check within 3 working days and, when the data was wrong, says how it completed
the update (exchange.dispute-upheld); a missed answer emits exchange.dispute-overdue once."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from contracts.values import ResourceCode
from fastapi import APIRouter, Request
from hubkit.auth import CurrentPrincipal, Role
from hubkit.db import json_value
from hubkit.deps import now as now_of
from hubkit.deps import pool
from hubkit.problems import forbidden
from pydantic import AwareDatetime, BaseModel, Field

from exchange.api.common import local_iso, uow
from exchange.service import commands as c
from exchange.service import handlers, queries

router = APIRouter(prefix="/disputes", tags=["disputes"])


class DisputeBody(BaseModel):
    resource_code: ResourceCode
    description: str = Field(min_length=1, max_length=2000, description="e.g. 信息项缺失, 数据不准确")
    found_at: AwareDatetime | None = Field(None, description="when the problem was found (default: now); a "
                                                             "report 2 working days later is marked late")
    records: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=100, description="keys of the records or rows concerned")


class AnswerBody(BaseModel):
    upheld: bool = Field(description="the data was indeed inconsistent")
    answer: str = Field(min_length=1, max_length=2000, description="the result of the check (校核结果)")
    correction: str | None = Field(None, min_length=1, max_length=2000, description=(
        "an upheld dispute: how the data was corrected, e.g. the update or delivery that carries it"))
    correction_delivery: str | None = Field(None, min_length=1, max_length=100, description=(
        "an upheld dispute on a table or file resource: the batch or file version (made since the dispute was "
        "raised) that delivered the corrected data"))


@router.post("", status_code=201, summary="Raise a quality dispute on received data")
async def raise_dispute(body: DisputeBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    cmd = c.RaiseDispute(actor=principal, resource_code=body.resource_code, description=body.description,
                         at=now_of(request), found_at=body.found_at, records=tuple(body.records))
    raised = await handlers.raise_dispute(cmd, uow(request))
    return {**raised, "answer_due": local_iso(raised["answer_due"])}


@router.post("/{dispute_id}/answer", summary="The provider answers; upheld emits exchange.dispute-upheld")
async def answer(dispute_id: str, body: AnswerBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    cmd = c.AnswerDispute(actor=principal, dispute_id=dispute_id, upheld=body.upheld, answer=body.answer,
                          at=now_of(request), correction=body.correction,
                          correction_delivery=body.correction_delivery)
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
             "records": json_value(r["records"]),
             "overdue": r["status"] == "open" and now >= r["answer_due"]} for r in rows]
