"""Use authorisations: which units may use an issuer's licenses at their service windows.

A license use costs or earns its issuer points (C1.2 charges unsealed uses to the issuer), so a use
is accepted only from a unit the issuer, or the bureau, has authorised to use that issuer's licenses.
"""

from __future__ import annotations

from typing import Any

from contracts.values import Uscc
from fastapi import APIRouter, Request
from hubkit.auth import CurrentPrincipal, Role
from pydantic import BaseModel, Field

from elicense.api.deps import local_iso, now_of, pool, uow
from elicense.service import commands as c
from elicense.service import handlers, queries

router = APIRouter(tags=["use authorisations"])


class AuthorisationBody(BaseModel):
    license_types: list[str] | None = Field(
        None, max_length=1000, description="license-type codes the unit may use; null: every type of the issuer")


@router.put("/use-authorisations/{issuer}/{user_unit}",
            summary="Authorise a unit to use an issuer's licenses (the issuer or the bureau)")
async def grant(issuer: Uscc, user_unit: Uscc, body: AuthorisationBody, request: Request,
                principal: CurrentPrincipal) -> dict[str, Any]:
    now = now_of(request)
    cmd = c.GrantUse(actor=principal, issuer=issuer, user_unit=user_unit, at=now,
                     license_types=tuple(body.license_types) if body.license_types is not None else None)
    types = await handlers.grant_use(cmd, uow(request))
    return {"issuer": issuer, "user_unit": user_unit, "license_types": types, "granted_at": local_iso(now)}


@router.delete("/use-authorisations/{issuer}/{user_unit}", status_code=204,
               summary="Withdraw a use authorisation (later uses are refused; earlier ones stand)")
async def withdraw(issuer: Uscc, user_unit: Uscc, request: Request, principal: CurrentPrincipal) -> None:
    await handlers.withdraw_use(c.WithdrawUse(actor=principal, issuer=issuer, user_unit=user_unit,
                                              at=now_of(request)), uow(request))


@router.get("/use-authorisations", summary="Authorisations in force (a department: those it granted or holds)")
async def list_authorisations(request: Request, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    principal.require(Role.department, Role.operator, Role.auditor)
    unit = principal.unit if principal.role is Role.department else None
    rows = await queries.authorisations(pool(request), unit)
    return [{"issuer": r["issuer"], "user_unit": r["user_unit"], "license_types": r["license_types"],
             "granted_at": local_iso(r["granted_at"])} for r in rows]
