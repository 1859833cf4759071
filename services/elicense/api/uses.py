"""A license used in handling a service item, waiving materials (elicense.license-used)."""

from __future__ import annotations

import uuid
from typing import Any

from contracts import new_envelope
from contracts.elicense import LicenseUsed
from fastapi import APIRouter, Request, Response
from hubkit import outbox
from hubkit.auth import CurrentPrincipal, Role
from hubkit.problems import Problem, conflict, forbidden, not_found
from pydantic import BaseModel, Field

from elicense.api.authorisations import authorised
from elicense.api.deps import SCHEMA, local_iso, now_of, pool, today_of
from elicense.domain.licenses import effective_status

router = APIRouter(tags=["uses"])


class UseBody(BaseModel):
    license_id: str
    item: str = Field(min_length=1, max_length=200, description="the service item handled (事项名称或编码)")
    waived_materials: int = Field(ge=0, le=100, description="application materials the license replaced")
    use_id: str | None = Field(None, max_length=80, description="the window system's id of this use; "
                                                                "recording it again changes nothing")


@router.post("/uses", summary="Record that a license was used at a service window", status_code=201)
async def record_use(body: UseBody, request: Request, response: Response,
                     principal: CurrentPrincipal) -> dict[str, Any]:
    """The using unit is the caller's, and it must hold a use authorisation from the license's issuer
    (the use costs or earns the issuer points). An expired or revoked license cannot be used. The event
    carries the issuer and whether the license was sealed (scoring charges unsealed uses to the issuer)."""
    principal.require(Role.department)
    user = principal.unit or ""
    use_id = body.use_id or f"u-{uuid.uuid4().hex[:16]}"
    now = now_of(request)
    async with pool(request).acquire() as conn, conn.transaction():
        known = await conn.fetchrow("SELECT * FROM uses WHERE use_id = $1", use_id)
        if known is not None:
            if known["user_unit"] != user or known["license_id"] != body.license_id:
                raise conflict(f"use id {use_id} was recorded for another use")
            response.status_code = 200
            return {"use_id": use_id, "recorded": False, "used_at": local_iso(known["used_at"])}
        lic = await conn.fetchrow("SELECT issuer, license_type, status, valid_until, sealed FROM licenses "
                                  "WHERE license_id = $1", body.license_id)
        if lic is None:
            raise not_found("license", body.license_id)
        if not await authorised(conn, lic["issuer"], user, lic["license_type"]):
            raise forbidden(f"{user} holds no authorisation from {lic['issuer']} to use licenses of type "
                            f"{lic['license_type']}; the issuer or the bureau grants it "
                            f"(PUT /use-authorisations/{lic['issuer']}/{user})")
        status = effective_status(lic["status"], lic["valid_until"], today_of(request))
        if status != "valid":
            raise Problem(409, "Conflict", f"license {body.license_id} is {status} and cannot be used",
                          kind="license-not-valid")
        await conn.execute("INSERT INTO uses (use_id, license_id, user_unit, item, waived_materials, used_at) "
                           "VALUES ($1, $2, $3, $4, $5, $6)", use_id, body.license_id, user, body.item,
                           body.waived_materials, now)
        await outbox.add(conn, SCHEMA, new_envelope(
            LicenseUsed(license_id=body.license_id, issuer_unit=lic["issuer"], sealed=lic["sealed"],
                        waived_materials=body.waived_materials), unit=user, occurred_at=now))
    return {"use_id": use_id, "recorded": True, "issuer": lic["issuer"], "sealed": lic["sealed"],
            "used_at": local_iso(now)}


@router.get("/uses", summary="Uses recorded (a department: its own uses and uses of its licenses)")
async def list_uses(request: Request, principal: CurrentPrincipal,
                    license_id: str | None = None) -> list[dict[str, Any]]:
    unit = principal.unit if principal.role is Role.department else None
    async with pool(request).acquire() as conn:
        rows = await conn.fetch(
            "SELECT u.*, l.issuer, l.sealed FROM uses u JOIN licenses l USING (license_id) "
            "WHERE ($1::text IS NULL OR u.user_unit = $1 OR l.issuer = $1) "
            "AND ($2::text IS NULL OR u.license_id = $2) ORDER BY u.used_at DESC LIMIT 500", unit, license_id)
    return [{"use_id": r["use_id"], "license_id": r["license_id"], "user_unit": r["user_unit"], "issuer": r["issuer"],
             "item": r["item"], "waived_materials": r["waived_materials"], "sealed": r["sealed"],
             "used_at": local_iso(r["used_at"])} for r in rows]
