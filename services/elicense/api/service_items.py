"""Service items and the license types each accepts in place of paper (免证办), and what uses of licenses
in them waived: per item, per license type, and of items not on the list yet."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from hubkit.auth import CurrentPrincipal, Role
from hubkit.problems import not_found
from pydantic import BaseModel, Field

from elicense.api.deps import license_types, now_of, pool, uow
from elicense.domain.service_items import Acceptance, ServiceItem
from elicense.service import commands as c
from elicense.service import queries
from elicense.service import service_items as handlers

router = APIRouter(tags=["service items"])
ItemCode = Annotated[str, Path(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$", description="事项编码")]


class AcceptanceIn(BaseModel):
    license_type: str = Field(min_length=1, max_length=30, description="a registered license-type code")
    materials: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        min_length=1, max_length=50, description="the paper materials a license of this type replaces")


class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="事项名称")
    handling_unit: str = Field(description="USCC of the department that handles it; departments: their own")
    accepts: list[AcceptanceIn] = Field(default_factory=list, max_length=100)


def view(item: ServiceItem) -> dict[str, Any]:
    return {"code": item.code, "name": item.name, "handling_unit": item.handling_unit, "version": item.version,
            "accepts": [{"license_type": a.license_type, "materials": list(a.materials)} for a in item.accepts]}


@router.put("/service-items/{code}", summary="List a service item and the license types it accepts instead of paper")
async def list_item(code: ItemCode, body: ItemIn, request: Request, response: Response,
                    principal: CurrentPrincipal) -> dict[str, Any]:
    """The same listing again changes nothing and emits nothing; a change is the item's next version."""
    cmd = c.ListItem(actor=principal, code=code, name=body.name, handling_unit=body.handling_unit,
                     accepts=tuple(Acceptance(a.license_type, tuple(a.materials)) for a in body.accepts),
                     at=now_of(request))
    item, changed = await handlers.list_item(cmd, uow(request), await license_types(request))
    return {**view(item), "changed": changed}


@router.get("/service-items", summary="The listed service items (of a handling unit, or accepting a license type)")
async def list_items(request: Request, handling_unit: str | None = None,
                     license_type: str | None = None) -> list[dict[str, Any]]:
    return [view(i) for i in await queries.service_items(pool(request), handling_unit, license_type)]


@router.get("/service-items/{code}", summary="A listed service item")
async def read_item(code: ItemCode, request: Request) -> dict[str, Any]:
    item = await queries.service_item(pool(request), code)
    if item is None:
        raise not_found("service item", code)
    return view(item)


@router.get("/stats/service-items", summary="Uses of licenses and materials waived, per item and per license type")
async def item_stats(request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    """The bureau, auditors and inspectors see every item (and the uses in items not on the list yet); a
    department the items it handles."""
    unit = principal.unit if principal.role is Role.department else None
    stats = await queries.service_item_stats(pool(request), unit)
    return {"by_item": stats["by_item"], "by_type": stats["by_type"], "unlisted": stats["unlisted"]}
