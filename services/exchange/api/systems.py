"""A subscriber's calling systems, each with its own key for the gateway (header X-Hub-System-Key): register
(the key is in the answer, once), list, rotate (the old key stops at once), revoke."""

from __future__ import annotations

from typing import Any

from contracts.values import Uscc
from fastapi import APIRouter, Request
from hubkit.auth import CurrentPrincipal, Role
from hubkit.deps import local_iso, pool
from hubkit.deps import now as now_of
from hubkit.problems import invalid
from pydantic import BaseModel, Field

from exchange.api.common import uow
from exchange.service import commands as c
from exchange.service import queries
from exchange.service import subscriptions as life

router = APIRouter(tags=["calling systems"])


class SystemBody(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=r"^\S(.*\S)?$",
                      description="what the system is (unique within the unit), e.g. 不动产登记系统")
    unit: Uscc | None = Field(None, description="operators: the unit it belongs to; departments: their own")


def view(row: Any) -> dict[str, Any]:
    out = {k: row[k] for k in ("id", "unit", "name", "key_hint")}
    out.update({k: local_iso(row[k]) for k in ("created_at", "rotated_at", "revoked_at")})
    if "key" in row:  # only when made or rotated: the hub keeps its hash
        out["key"] = row["key"]
    return out


@router.post("/systems", status_code=201, summary="Register a calling system; its key is in the answer, once")
async def register(body: SystemBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    unit = principal.unit if principal.role is Role.department else body.unit
    if not unit:
        raise invalid("unit: operators name the unit the system belongs to")
    cmd = c.RegisterSystem(actor=principal, unit=unit, name=body.name, at=now_of(request))
    return view(await life.register_system(cmd, uow(request)))


@router.get("/systems", summary="Calling systems (a department: its own), without their keys")
async def listing(request: Request, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    unit = principal.unit if principal.role is Role.department else None
    return [view(r) for r in await queries.systems_of(pool(request), unit)]


@router.post("/systems/{system_id}/rotate", summary="A new key; the old one stops at once")
async def rotate(system_id: str, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    cmd = c.ChangeSystem(actor=principal, system_id=system_id, action="rotate", at=now_of(request))
    return view(await life.change_system(cmd, uow(request)))


@router.delete("/systems/{system_id}", summary="Revoke the system and its key, for good")
async def revoke(system_id: str, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    cmd = c.ChangeSystem(actor=principal, system_id=system_id, action="revoke", at=now_of(request))
    return view(await life.change_system(cmd, uow(request)))
