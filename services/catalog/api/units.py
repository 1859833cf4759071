"""The unit directory: the bureau (operator) registers units; every authenticated caller can read it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from contracts import new_envelope
from contracts.registry_events import AbsentIndicator, UnitRegistered
from contracts.values import DivisionCode, Uscc
from fastapi import APIRouter, Query, Request
from hubkit import deps, outbox
from hubkit.auth import CurrentPrincipal, Role
from hubkit.problems import Problem, invalid, not_found
from pydantic import AwareDatetime, BaseModel, Field

from catalog.domain.units import Unit, UnitRejected, check_division, check_parent
from catalog.storage import units as repo

router = APIRouter(prefix="/units", tags=["units"])


class UnitCreate(BaseModel):
    uscc: Uscc = Field(description="统一社会信用代码 (GB 32100-2015, check character verified)")
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["department", "city", "county"]
    division_code: DivisionCode
    parent_unit: Uscc | None = Field(None, description="a county's city")
    absent_indicators: list[AbsentIndicator] = Field(default_factory=list)
    occurred_at: AwareDatetime | None = Field(None, description="when the registration holds; default: now")


class UnitPublic(BaseModel):
    uscc: str
    name: str
    kind: str
    division_code: str
    parent_unit: str | None
    absent_indicators: list[str]

    @classmethod
    def of(cls, unit: Unit) -> UnitPublic:
        return cls(uscc=unit.uscc, name=unit.name, kind=unit.kind, division_code=unit.division_code,
                   parent_unit=unit.parent_unit, absent_indicators=list(unit.absent_indicators))


@router.put("/{uscc}", summary="Register a unit or change its registration (emits registry.unit-registered)")
async def register(uscc: str, body: UnitCreate, request: Request, principal: CurrentPrincipal) -> dict[str, object]:
    principal.require(Role.operator)
    if uscc != body.uscc:
        raise invalid(f"uscc: the path names {uscc} but the body {body.uscc}")
    try:
        payload = UnitRegistered(name=body.name, kind=body.kind, division_code=body.division_code,
                                 parent_unit=body.parent_unit, absent_indicators=body.absent_indicators)
        check_division(body.kind, body.division_code)
    except (UnitRejected, ValueError) as exc:
        raise Problem(422, "Invalid request", _reason(exc), kind="invalid-request") from None
    unit = Unit(uscc=body.uscc, name=body.name, kind=body.kind, division_code=body.division_code,
                parent_unit=body.parent_unit, absent_indicators=tuple(body.absent_indicators))
    at: datetime = body.occurred_at or deps.now(request)
    async with deps.pool(request).acquire() as conn, conn.transaction():
        if unit.kind == "county":
            try:
                check_parent(unit, await repo.get(conn, unit.parent_unit or ""))
            except UnitRejected as exc:
                raise Problem(422, "Invalid request", str(exc), kind="invalid-request") from None
        changed = await repo.upsert(conn, unit, at=at)
        if changed:
            await outbox.add(conn, "catalog", new_envelope(payload, unit=unit.uscc, occurred_at=at))
    return {"unit": UnitPublic.of(unit).model_dump(), "changed": changed}


def _reason(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'unit'}: {e['msg']}".replace("Value error, ", "")
                         for e in errors())
    return str(exc)


@router.get("", summary="Search the unit directory")
async def search(
    request: Request, principal: CurrentPrincipal,
    kind: Literal["department", "city", "county"] | None = None,
    parent: Annotated[str | None, Query(description="counties of this city")] = None,
    q: Annotated[str | None, Query(description="name or code contains")] = None,
) -> list[UnitPublic]:
    async with deps.pool(request).acquire() as conn:
        return [UnitPublic.of(u) for u in await repo.search(conn, kind=kind, parent=parent, q=q)]


@router.get("/{uscc}", summary="One unit")
async def read(uscc: str, request: Request, principal: CurrentPrincipal) -> UnitPublic:
    async with deps.pool(request).acquire() as conn:
        unit = await repo.get(conn, uscc)
    if unit is None:
        raise not_found("unit", uscc)
    return UnitPublic.of(unit)
