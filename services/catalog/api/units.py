"""The unit directory: the bureau (operator) registers units; every authenticated caller can read it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from contracts.registry_events import AbsentIndicator
from contracts.values import DivisionCode, Uscc
from fastapi import APIRouter, Query, Request
from hubkit import deps
from hubkit.auth import CurrentPrincipal
from hubkit.problems import invalid, not_found
from pydantic import AwareDatetime, BaseModel, Field

from catalog.api.common import uow
from catalog.domain.units import Unit, UnitRejected, check_division
from catalog.service import handlers, queries
from catalog.service.commands import RegisterUnit

router = APIRouter(prefix="/units", tags=["units"])


class UnitCreate(BaseModel):
    uscc: Uscc = Field(description="统一社会信用代码 (GB 32100-2015, check character verified)")
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["department", "city", "county"]
    division_code: DivisionCode
    parent_unit: Uscc | None = Field(None, description="a county's city")
    absent_indicators: list[AbsentIndicator] = Field(default_factory=list)
    exempt_from: date | None = Field(None, description="not checked from this day on (its month and later): "
                                                       "not scored or ranked; with exempt_basis")
    exempt_basis: str | None = Field(None, min_length=1, max_length=300,
                                     description="the document that exempts the unit, e.g. 桂数函〔2019〕258号")
    occurred_at: AwareDatetime | None = Field(None, description="when the registration holds; default: now")


class UnitPublic(BaseModel):
    uscc: str
    name: str
    kind: str
    division_code: str
    parent_unit: str | None
    absent_indicators: list[str]
    exempt_from: date | None = None
    exempt_basis: str | None = None

    @classmethod
    def of(cls, unit: Unit) -> UnitPublic:
        return cls(uscc=unit.uscc, name=unit.name, kind=unit.kind, division_code=unit.division_code,
                   parent_unit=unit.parent_unit, absent_indicators=list(unit.absent_indicators),
                   exempt_from=unit.exempt_from, exempt_basis=unit.exempt_basis)


@router.put("/{uscc}", summary="Register a unit or change its registration (emits registry.unit-registered)")
async def register(uscc: str, body: UnitCreate, request: Request, principal: CurrentPrincipal) -> dict[str, object]:
    if uscc != body.uscc:
        raise invalid(f"uscc: the path names {uscc} but the body {body.uscc}")
    try:
        check_division(body.kind, body.division_code)
    except UnitRejected as exc:
        raise invalid(str(exc)) from None
    unit = Unit(uscc=body.uscc, name=body.name, kind=body.kind, division_code=body.division_code,
                parent_unit=body.parent_unit, absent_indicators=tuple(body.absent_indicators),
                exempt_from=body.exempt_from, exempt_basis=body.exempt_basis)
    at: datetime = body.occurred_at or deps.now(request)
    changed = await handlers.register_unit(RegisterUnit(actor=principal, unit=unit, at=at), uow(request))
    return {"unit": UnitPublic.of(unit).model_dump(), "changed": changed}


@router.get("", summary="Search the unit directory")
async def search(
    request: Request, principal: CurrentPrincipal,
    kind: Literal["department", "city", "county"] | None = None,
    parent: Annotated[str | None, Query(description="counties of this city")] = None,
    q: Annotated[str | None, Query(description="name or code contains")] = None,
) -> list[UnitPublic]:
    return [UnitPublic.of(u) for u in await queries.units(deps.pool(request), kind=kind, parent=parent, q=q)]


@router.get("/{uscc}", summary="One unit")
async def read(uscc: str, request: Request, principal: CurrentPrincipal) -> UnitPublic:
    unit = await queries.unit(deps.pool(request), uscc)
    if unit is None:
        raise not_found("unit", uscc)
    return UnitPublic.of(unit)
