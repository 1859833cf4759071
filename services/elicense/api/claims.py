"""The license types an issuer claims, with its declared stock (elicense.types-claimed)."""

from __future__ import annotations

from typing import Any

from contracts.values import Uscc
from fastapi import APIRouter, Request
from hubkit.auth import CurrentPrincipal
from hubkit.problems import not_found
from pydantic import BaseModel, Field

from elicense.api.deps import license_types, local_iso, now_of, pool, uow
from elicense.service import commands as c
from elicense.service import handlers, queries

router = APIRouter(tags=["claims"])


class ClaimBody(BaseModel):
    license_types: list[str] = Field(description="national license-type codes the unit issues (empty: none)")
    stock: dict[str, int] | None = Field(
        None, description="declared stock per claimed type; the total is their sum. Null: not declared")


@router.put("/claims/{unit}", summary="Claim the license types a unit issues and declare its stock")
async def claim(unit: Uscc, body: ClaimBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    """Replaces the unit's previous claim. The same claim again changes nothing and emits nothing."""
    cmd = c.ClaimTypes(actor=principal, unit=unit, license_types=tuple(body.license_types), stock=body.stock,
                       at=now_of(request))
    return await handlers.claim_types(cmd, uow(request), await license_types(request))


@router.get("/claims/{unit}", summary="A unit's claim in force")
async def read_claim(unit: Uscc, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    row = await queries.claim(pool(request), unit)
    if row is None:
        raise not_found("claim of unit", unit)
    types = await license_types(request)
    return {"unit": unit, "declared_stock": row["declared_stock"], "claimed_at": local_iso(row["claimed_at"]),
            "license_types": [{"code": c, "name": types[c].name if c in types else None,
                               "declared_stock": dict(row["stock"]).get(c)} for c in row["license_types"]]}
