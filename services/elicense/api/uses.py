"""A license used in handling a service item, waiving materials (elicense.license-used)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from hubkit.auth import CurrentPrincipal, Role
from pydantic import BaseModel, Field

from elicense.api.deps import local_iso, now_of, pool, today_of, uow
from elicense.service import commands as c
from elicense.service import handlers, queries

router = APIRouter(tags=["uses"])


class UseBody(BaseModel):
    license_id: str
    item_code: str | None = Field(None, max_length=64, description="the listed service item handled "
                                                                   "(GET /service-items)")
    materials: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=50, description="the materials the license replaced, as the item's list "
                                                         "names them for the license's type")
    item: str | None = Field(None, min_length=1, max_length=200,
                             description="a window not on the list yet: the item handled, in words")
    waived_materials: int | None = Field(None, ge=0, le=100, description="a window not on the list yet: how many "
                                                                        "materials the license replaced")
    use_id: str | None = Field(None, max_length=80, description="the window system's id of this use; "
                                                                "recording it again changes nothing")


@router.post("/uses", summary="Record that a license was used at a service window", status_code=201)
async def record_use(body: UseBody, request: Request, response: Response,
                     principal: CurrentPrincipal) -> dict[str, Any]:
    """The using unit is the caller's, and it must hold a use authorisation from the license's issuer
    (the use costs or earns the issuer points). An expired or revoked license cannot be used. The event
    carries the issuer and whether the license was sealed (scoring charges unsealed uses to the issuer)."""
    cmd = c.RecordUse(actor=principal, license_id=body.license_id, item=body.item,
                      waived_materials=body.waived_materials, use_id=body.use_id or f"u-{uuid.uuid4().hex[:16]}",
                      at=now_of(request), today=today_of(request), item_code=body.item_code,
                      materials=tuple(body.materials))
    done = await handlers.record_use(cmd, uow(request))
    if not done["recorded"]:
        response.status_code = 200
    return {**done, "used_at": local_iso(done["used_at"])}


@router.get("/uses", summary="Uses recorded (a department: its own uses and uses of its licenses)")
async def list_uses(request: Request, principal: CurrentPrincipal,
                    license_id: str | None = None) -> list[dict[str, Any]]:
    unit = principal.unit if principal.role is Role.department else None
    rows = await queries.uses(pool(request), unit, license_id)
    return [{"use_id": r["use_id"], "license_id": r["license_id"], "user_unit": r["user_unit"], "issuer": r["issuer"],
             "item": r["item"], "item_code": r["item_code"], "materials": list(r["materials"]),
             "waived_materials": r["waived_materials"], "sealed": r["sealed"],
             "used_at": local_iso(r["used_at"])} for r in rows]
