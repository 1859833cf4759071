"""Use authorisations: which units may use an issuer's licenses at their service windows.

A license use costs or earns its issuer points (C1.2 charges unsealed uses to the issuer), so a use
is accepted only from a unit the issuer, or the bureau, has authorised to use that issuer's licenses.
"""

from __future__ import annotations

from typing import Any

from contracts.values import Uscc
from fastapi import APIRouter, Request
from hubkit.auth import CurrentPrincipal, Principal, Role
from hubkit.problems import forbidden, not_found
from pydantic import BaseModel, Field

from elicense.api.deps import local_iso, now_of, pool

router = APIRouter(tags=["use authorisations"])


class AuthorisationBody(BaseModel):
    license_types: list[str] | None = Field(
        None, max_length=1000, description="license-type codes the unit may use; null: every type of the issuer")


def _may_grant(principal: Principal, issuer: str) -> None:
    principal.require(Role.department, Role.operator)
    if principal.role is Role.department and principal.unit != issuer:
        raise forbidden(f"only {issuer} itself or the bureau may authorise uses of its licenses")


@router.put("/use-authorisations/{issuer}/{user_unit}",
            summary="Authorise a unit to use an issuer's licenses (the issuer or the bureau)")
async def grant(issuer: Uscc, user_unit: Uscc, body: AuthorisationBody, request: Request,
                principal: CurrentPrincipal) -> dict[str, Any]:
    _may_grant(principal, issuer)
    now = now_of(request)
    types = sorted(set(body.license_types)) if body.license_types is not None else None
    async with pool(request).acquire() as conn:
        await conn.execute(
            "INSERT INTO use_authorisations (issuer, user_unit, license_types, granted_by, granted_at) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (issuer, user_unit) DO UPDATE SET "
            "license_types = excluded.license_types, granted_by = excluded.granted_by, "
            "granted_at = excluded.granted_at, revoked_at = NULL, revoked_by = NULL",
            issuer, user_unit, types, principal.subject, now)
    return {"issuer": issuer, "user_unit": user_unit, "license_types": types, "granted_at": local_iso(now)}


@router.delete("/use-authorisations/{issuer}/{user_unit}", status_code=204,
               summary="Withdraw a use authorisation (later uses are refused; earlier ones stand)")
async def withdraw(issuer: Uscc, user_unit: Uscc, request: Request, principal: CurrentPrincipal) -> None:
    _may_grant(principal, issuer)
    async with pool(request).acquire() as conn:
        status = await conn.execute(
            "UPDATE use_authorisations SET revoked_at = $3, revoked_by = $4 "
            "WHERE issuer = $1 AND user_unit = $2 AND revoked_at IS NULL",
            issuer, user_unit, now_of(request), principal.subject)
    if status.endswith(" 0"):
        raise not_found("use authorisation", f"{issuer} → {user_unit}")


@router.get("/use-authorisations", summary="Authorisations in force (a department: those it granted or holds)")
async def list_authorisations(request: Request, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    principal.require(Role.department, Role.operator, Role.auditor)
    unit = principal.unit if principal.role is Role.department else None
    async with pool(request).acquire() as conn:
        rows = await conn.fetch(
            "SELECT * FROM use_authorisations WHERE revoked_at IS NULL "
            "AND ($1::text IS NULL OR issuer = $1 OR user_unit = $1) ORDER BY issuer, user_unit LIMIT 5000", unit)
    return [{"issuer": r["issuer"], "user_unit": r["user_unit"], "license_types": r["license_types"],
             "granted_at": local_iso(r["granted_at"])} for r in rows]


async def authorised(conn: Any, issuer: str, user: str, license_type: str) -> bool:
    """May `user` use a license of this type issued by `issuer`? (An issuer may use its own.)"""
    if issuer == user:
        return True
    return bool(await conn.fetchval(
        "SELECT true FROM use_authorisations WHERE issuer = $1 AND user_unit = $2 AND revoked_at IS NULL "
        "AND (license_types IS NULL OR $3 = ANY(license_types))", issuer, user, license_type))
