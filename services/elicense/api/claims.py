"""The license types an issuer claims, with its declared stock (elicense.types-claimed), and the list."""

from __future__ import annotations

from typing import Any

from contracts import new_envelope
from contracts.elicense import TypesClaimed
from contracts.values import Uscc
from fastapi import APIRouter, Request
from hubkit import outbox
from hubkit.auth import CurrentPrincipal, Role
from hubkit.problems import Problem, not_found
from pydantic import BaseModel, Field

from elicense.api.deps import SCHEMA, library, local_iso, now_of, pool

router = APIRouter(tags=["license types and claims"])


class ClaimBody(BaseModel):
    license_types: list[str] = Field(description="national license-type codes the unit issues (empty: none)")
    stock: dict[str, int] | None = Field(
        None, description="declared stock per claimed type; the total is their sum. Null: not declared")


@router.get("/license-types", summary="The national license-type list (code, name, issuing sector, holders)")
async def list_types(request: Request, sector: str | None = None, q: str | None = None) -> list[dict[str, str]]:
    return [{"code": t.code, "name": t.name, "sector": t.sector, "holder_kind": t.holder_kind}
            for t in library(request).types.values()
            if (sector is None or t.sector == sector) and (q is None or q in t.name)]


@router.put("/claims/{unit}", summary="Claim the license types a unit issues and declare its stock")
async def claim(unit: Uscc, body: ClaimBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    """Replaces the unit's previous claim. The same claim again changes nothing and emits nothing."""
    principal.require(Role.department, Role.operator)
    principal.ensure_unit(unit)
    types = library(request).types
    errors = [f"license_types.{i}: {c!r} is not in the license-type list"
              for i, c in enumerate(body.license_types) if c not in types]
    if len(set(body.license_types)) != len(body.license_types):
        errors.append("license_types: a type is listed twice")
    for code, count in (body.stock or {}).items():
        if code not in body.license_types:
            errors.append(f"stock.{code}: stock declared for a type that is not claimed")
        if count < 0:
            errors.append(f"stock.{code}: must not be negative")
    if errors:
        raise Problem(422, "Invalid request", "; ".join(errors), kind="invalid-request")
    claimed = sorted(body.license_types)
    declared = sum(body.stock.values()) if body.stock is not None else None
    at = now_of(request)
    async with pool(request).acquire() as conn, conn.transaction():
        old = await conn.fetchrow("SELECT license_types, stock, declared_stock FROM claims WHERE unit = $1 "
                                  "FOR UPDATE", unit)
        same = old is not None and list(old["license_types"]) == claimed and old["declared_stock"] == declared \
            and dict(old["stock"]) == (body.stock or {})
        if not same:
            await conn.execute(
                "INSERT INTO claims (unit, license_types, stock, declared_stock, claimed_at) "
                "VALUES ($1, $2, $3, $4, $5) "
                "ON CONFLICT (unit) DO UPDATE SET license_types = excluded.license_types, stock = excluded.stock, "
                "declared_stock = excluded.declared_stock, claimed_at = excluded.claimed_at",
                unit, claimed, body.stock or {}, declared, at)
            await outbox.add(conn, SCHEMA, new_envelope(TypesClaimed(license_types=claimed, declared_stock=declared),
                                                        unit=unit, occurred_at=at))
    return {"unit": unit, "license_types": claimed, "declared_stock": declared, "changed": not same}


@router.get("/claims/{unit}", summary="A unit's claim in force")
async def read_claim(unit: Uscc, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    async with pool(request).acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM claims WHERE unit = $1", unit)
    if row is None:
        raise not_found("claim of unit", unit)
    types = library(request).types
    return {"unit": unit, "declared_stock": row["declared_stock"], "claimed_at": local_iso(row["claimed_at"]),
            "license_types": [{"code": c, "name": types[c].name if c in types else None,
                               "declared_stock": dict(row["stock"]).get(c)} for c in row["license_types"]]}
