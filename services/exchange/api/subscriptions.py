"""Subscriptions (access requests once granted): read them, and their life: renewal (asked by the subscriber,
given by the provider or the bureau), revocation, suspension and resumption, the quota."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from contracts.values import ResourceCode
from fastapi import APIRouter, Query, Request
from hubkit.auth import CurrentPrincipal, Role
from hubkit.deps import now as now_of
from hubkit.deps import pool
from hubkit.problems import not_found
from pydantic import BaseModel, Field

from exchange.api.common import local_iso, uow
from exchange.domain.requests import AccessRequest
from exchange.domain.subscriptions import HELD, standing_of
from exchange.service import commands as c
from exchange.service import queries
from exchange.service import subscriptions as life

router = APIRouter(tags=["subscriptions"])
Status = Literal["active", "suspended", "revoked", "expired"]


class RenewBody(BaseModel):
    valid_days: int = Field(ge=1, le=3650, description="the new term, from the end of the current one (or from "
                            "now once it has passed)")


class ReasonBody(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="why; the subscriber reads it")


class QuotaBody(BaseModel):
    per_minute: int | None = Field(None, ge=1, le=1_000_000, description="calls a minute (null: not limited)")
    per_day: int | None = Field(None, ge=1, le=100_000_000, description="calls a day, Asia/Shanghai (null: not "
                                "limited)")


def view(req: AccessRequest, now: datetime, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    standing = standing_of(req)
    return {"id": req.id, "consumer": req.requester, "provider": req.provider, "resource_code": req.resource_code,
            "status": req.status, "usable": standing.usable(now),
            "why_not": None if standing.usable(now) else standing.why_not(now),
            "activated_at": local_iso(req.activated_at) if req.activated_at else None,
            "expires_at": local_iso(req.expires_at) if req.expires_at else None, "valid_days": req.valid_days,
            "quota": {"per_minute": req.quota_per_minute, "per_day": req.quota_per_day},
            "renewal_asked_at": local_iso(req.renewal_asked_at) if req.renewal_asked_at else None,
            "suspended_reason": req.suspended_reason, "ended_at": local_iso(req.ended_at) if req.ended_at else None,
            "ended_by": req.ended_by, "end_reason": req.end_reason, **(extra or {})}


@router.get("/subscriptions", summary="Subscriptions: a department's as subscriber or provider, all for the bureau")
async def listing(
    request: Request, principal: CurrentPrincipal,
    side: Annotated[Literal["consumer", "provider"] | None, Query(description="the caller's side")] = None,
    status: Status | None = None, resource: ResourceCode | None = None,
    renewal_asked: Annotated[bool, Query(description="only those whose subscriber asked for renewal")] = False,
) -> list[dict[str, Any]]:
    unit = principal.unit if principal.role is Role.department else None
    now = now_of(request)
    found = await queries.subscriptions_of(pool(request), unit=unit, side=side, status=status, resource=resource,
                                        renewal_asked=renewal_asked)
    return [view(req, now, extra) for req, extra in found]


@router.get("/subscriptions/{request_id}", summary="One subscription")
async def read(request_id: str, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    req = await queries.request(pool(request), request_id)
    if req is None or req.status not in HELD or (
            principal.role is Role.department and principal.unit not in (req.requester, req.provider)):
        raise not_found("subscription", request_id)
    return view(req, now_of(request))


async def _change(request: Request, principal: Any, request_id: str, action: str, **fields: Any) -> dict[str, Any]:
    now = now_of(request)
    cmd = c.ChangeSubscription(actor=principal, request_id=request_id, action=action, at=now, **fields)
    return view(await life.change(cmd, uow(request)), now)


@router.post("/subscriptions/{request_id}/renewal-request", summary="The subscriber asks its provider to renew")
async def ask_renewal(request_id: str, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    return await _change(request, principal, request_id, "ask-renewal")


@router.post("/subscriptions/{request_id}/renew", summary="The provider or the bureau renews for a new term")
async def renew(request_id: str, body: RenewBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    return await _change(request, principal, request_id, "renew", valid_days=body.valid_days)


@router.post("/subscriptions/{request_id}/revoke", summary="The provider or the bureau revokes it for good")
async def revoke(request_id: str, body: ReasonBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    return await _change(request, principal, request_id, "revoke", reason=body.reason)


@router.post("/subscriptions/{request_id}/suspend", summary="The bureau suspends it (abuse, an incident)")
async def suspend(request_id: str, body: ReasonBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    return await _change(request, principal, request_id, "suspend", reason=body.reason)


@router.post("/subscriptions/{request_id}/resume", summary="The bureau lifts a suspension")
async def resume(request_id: str, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    return await _change(request, principal, request_id, "resume")


@router.put("/subscriptions/{request_id}/quota", summary="The provider or the bureau sets the quota")
async def set_quota(request_id: str, body: QuotaBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    return await _change(request, principal, request_id, "quota", per_minute=body.per_minute, per_day=body.per_day)
