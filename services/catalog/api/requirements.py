"""Requirement batches: the bureau assigns what each unit must publish and mount, and by when."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from contracts import new_envelope
from contracts.catalog import RequirementAssigned
from contracts.resource_codes import resource_code_matches_provider
from contracts.values import ResourceCode, Uscc
from fastapi import APIRouter, Query, Request
from hubkit import deps, outbox
from hubkit.auth import CurrentPrincipal, Role
from hubkit.problems import invalid
from pydantic import AwareDatetime, BaseModel, Field

from catalog.api.common import write_instant
from catalog.domain.requirements import progress
from catalog.storage import resources as repo
from catalog.storage import units as units_repo

router = APIRouter(prefix="/requirements", tags=["requirements"])
BatchKind = Literal["first_batch_catalog", "business_environment", "high_frequency", "theme"]


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
    principal.require(Role.operator)
    at = write_instant(request, principal, body.occurred_at)
    errors = [f"units.{i}.resource_codes: {code} is not a code of unit {part.unit}"
              for i, part in enumerate(body.units) for code in part.resource_codes
              if not resource_code_matches_provider(code, part.unit)]
    if len({p.unit for p in body.units}) != len(body.units):
        errors.append("units: a unit appears twice")
    if errors:
        raise invalid("; ".join(errors))
    changed: list[str] = []
    async with deps.pool(request).acquire() as conn, conn.transaction():
        for part in body.units:
            if await units_repo.get(conn, part.unit) is None:
                raise invalid(f"units: {part.unit} is not a registered unit")
            codes = list(dict.fromkeys(part.resource_codes))
            if await repo.assign_requirement(conn, batch_id=batch_id, unit=part.unit, kind=body.batch_kind,
                                             title=body.title, deadline=body.deadline, codes=codes, at=at):
                payload = RequirementAssigned(batch_id=batch_id, batch_kind=body.batch_kind, resource_codes=codes,
                                              deadline=body.deadline)
                await outbox.add(conn, "catalog", new_envelope(payload, unit=part.unit, occurred_at=at))
                changed.append(part.unit)
    return {"batch_id": batch_id, "units": len(body.units), "changed": changed}


@router.get("/progress", summary="Progress per unit and batch: required, published, mounted, missing, days left")
async def read_progress(
    request: Request, principal: CurrentPrincipal,
    unit: Annotated[str | None, Query(description="a department sees its own")] = None,
    batch_id: str | None = None,
) -> list[ProgressRow]:
    if principal.role is Role.department:
        unit = principal.unit
    now = deps.now(request)
    rows: list[ProgressRow] = []
    async with deps.pool(request).acquire() as conn:
        for req in await repo.requirements(conn, unit=unit, batch_id=batch_id):
            codes = list(req["codes"])
            published, mounted = await repo.states(conn, codes)
            p = progress(req["batch_id"], req["batch_kind"], req["unit"], req["deadline"], codes, published,
                         mounted, now)
            rows.append(ProgressRow(batch_id=p.batch_id, batch_kind=p.batch_kind, title=req["title"], unit=p.unit,
                                    deadline=p.deadline, required=p.required, published=p.published,
                                    mounted=p.mounted, missing=list(p.missing),
                                    working_days_left=p.working_days_left, overdue=p.overdue))
    return rows
