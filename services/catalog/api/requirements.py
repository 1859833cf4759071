"""Requirement batches: the bureau assigns what each unit must publish and mount, and by when."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from contracts.values import ResourceCode, Uscc
from fastapi import APIRouter, Query, Request
from hubkit import deps
from hubkit.auth import CurrentPrincipal, Role
from pydantic import AwareDatetime, BaseModel, Field

from catalog.api.common import uow, write_instant
from catalog.service import commands as c
from catalog.service import handlers, queries
from catalog.service.commands import BatchKind

router = APIRouter(prefix="/requirements", tags=["requirements"])


class UnitPart(BaseModel):
    unit: Uscc
    resource_codes: list[ResourceCode] = Field(min_length=1)


class BatchBody(BaseModel):
    batch_kind: BatchKind
    title: str = Field("", max_length=200, description="e.g. 第一批政务数据资源目录")
    deadline: date = Field(description="publish-and-mount deadline (Asia/Shanghai calendar day)")
    units: list[UnitPart] = Field(min_length=1)
    occurred_at: AwareDatetime | None = None


class ProgressRow(BaseModel):
    batch_id: str
    batch_kind: str
    title: str
    unit: str
    deadline: date
    required: int
    published: int
    mounted: int
    missing: list[str]
    working_days_left: int
    overdue: bool


@router.put("/{batch_id}", summary="Assign (or re-assign) a batch; one catalog.requirement-assigned per unit changed")
async def assign(batch_id: str, body: BatchBody, request: Request, principal: CurrentPrincipal) -> dict[str, object]:
    cmd = c.AssignBatch(actor=principal, batch_id=batch_id, batch_kind=body.batch_kind, title=body.title,
                        deadline=body.deadline, at=write_instant(request, principal, body.occurred_at),
                        units=tuple(c.UnitPart(p.unit, tuple(p.resource_codes)) for p in body.units))
    changed = await handlers.assign_batch(cmd, uow(request))
    return {"batch_id": batch_id, "units": len(body.units), "changed": changed}


@router.get("/progress", summary="Progress per unit and batch: required, published, mounted, missing, days left")
async def read_progress(
    request: Request, principal: CurrentPrincipal,
    unit: Annotated[str | None, Query(description="a department sees its own")] = None,
    batch_id: str | None = None,
) -> list[ProgressRow]:
    if principal.role is Role.department:
        unit = principal.unit
    found = await queries.requirement_progress(deps.pool(request), unit=unit, batch_id=batch_id,
                                               now=deps.now(request))
    return [ProgressRow(batch_id=p.batch_id, batch_kind=p.batch_kind, title=title, unit=p.unit, deadline=p.deadline,
                        required=p.required, published=p.published, mounted=p.mounted, missing=list(p.missing),
                        working_days_left=p.working_days_left, overdue=p.overdue) for title, p in found]
