"""The demand list (需求清单): data a department needs that is not in the catalog yet, assigned by the bureau to a
provider with a deadline, fulfilled (it becomes an access request) or refused with a basis. And the ratings
consumers give the data they used (数据使用评价)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from contracts.values import ResourceCode, Uscc
from fastapi import APIRouter, Query, Request
from hubkit.auth import CurrentPrincipal, Role
from hubkit.deps import now as now_of
from hubkit.deps import pool
from hubkit.problems import not_found
from pydantic import BaseModel, Field

from exchange.api.common import default_terms, local_iso, uow
from exchange.domain.demands import ANSWER_DAYS, Demand
from exchange.service import commands as c
from exchange.service import demands as use_case

router = APIRouter(tags=["demands"])
Status = Literal["raised", "assigned", "fulfilled", "refused", "rejected"]


class DemandBody(BaseModel):
    what: str = Field(min_length=2, max_length=2000, description="the data needed (items, scope, period)")
    why: str = Field(min_length=2, max_length=2000, description="the government task it serves")
    suggested_provider: Uscc | None = Field(None, description="the unit thought to hold it, if known")


class AssignBody(BaseModel):
    provider: Uscc
    days: int = Field(ANSWER_DAYS, ge=1, le=60, description="working days the provider has to answer")


class ReasonBody(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class FulfilBody(BaseModel):
    resource_code: ResourceCode = Field(description="the published resource that now holds the data")


class BasisBody(BaseModel):
    basis: str = Field(min_length=1, max_length=2000, description="the legal or policy basis of the refusal")


class RatingBody(BaseModel):
    quality: int = Field(ge=1, le=5)
    timeliness: int = Field(ge=1, le=5)
    usefulness: int = Field(ge=1, le=5)
    comment: str | None = Field(None, max_length=2000)


def view(d: Demand) -> dict[str, Any]:
    def at(v: Any) -> str | None:
        return local_iso(v) if v is not None else None
    return {"id": d.id, "requester": d.requester, "what": d.what, "why": d.why,
            "suggested_provider": d.suggested_provider, "status": d.status, "raised_at": at(d.raised_at),
            "provider": d.provider, "due": at(d.due), "assigned_at": at(d.assigned_at),
            "answered_at": at(d.answered_at), "resource_code": d.resource_code, "reason": d.reason,
            "request_id": d.request_id, "overdue": d.overdue_at is not None}


@router.post("/demands", status_code=201, summary="A department asks for data that is not in the catalog")
async def raise_demand(body: DemandBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    cmd = c.RaiseDemand(actor=principal, what=body.what, why=body.why, suggested_provider=body.suggested_provider,
                        at=now_of(request))
    return view(await use_case.raise_demand(cmd, uow(request)))


@router.get("/demands", summary="Demands, newest first: a department sees those it raised or was assigned")
async def demands(request: Request, principal: CurrentPrincipal, status: Status | None = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict[str, Any]]:
    unit = principal.unit if principal.role is Role.department else None
    return [view(d) for d in await use_case.listed(pool(request), unit=unit, status=status, limit=limit)]


@router.get("/demands/{demand_id}", summary="One demand (a department's own or assigned to it)")
async def demand(demand_id: str, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    found = await use_case.get(pool(request), demand_id)
    if found is None or (principal.role is Role.department and principal.unit not in (found.requester,
                                                                                       found.provider)):
        raise not_found("demand", demand_id)
    return view(found)


@router.post("/demands/{demand_id}/assign", summary="The bureau assigns a demand to a provider with a deadline")
async def assign(demand_id: str, body: AssignBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    cmd = c.AssignDemand(actor=principal, demand_id=demand_id, provider=body.provider, days=body.days,
                         at=now_of(request))
    return view(await use_case.assign(cmd, uow(request)))


@router.post("/demands/{demand_id}/reject", summary="The bureau rejects a demand with its reason")
async def reject(demand_id: str, body: ReasonBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    cmd = c.RejectDemand(actor=principal, demand_id=demand_id, reason=body.reason, at=now_of(request))
    return view(await use_case.reject(cmd, uow(request)))


@router.post("/demands/{demand_id}/fulfil",
             summary="The assigned provider names the resource it catalogued: the demand becomes an access request")
async def fulfil(demand_id: str, body: FulfilBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    cmd = c.FulfilDemand(actor=principal, demand_id=demand_id, resource_code=body.resource_code,
                         at=now_of(request), terms=default_terms(request, term=False))
    return view(await use_case.fulfil(cmd, uow(request)))


@router.post("/demands/{demand_id}/refuse", summary="The assigned provider refuses a demand with its basis")
async def refuse(demand_id: str, body: BasisBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    cmd = c.RefuseDemand(actor=principal, demand_id=demand_id, basis=body.basis, at=now_of(request))
    return view(await use_case.refuse(cmd, uow(request)))


@router.post("/resources/{code}/ratings", status_code=201,
             summary="A unit that held a subscription rates the data it used (a later rating replaces it)")
async def rate(code: ResourceCode, body: RatingBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    cmd = c.RateResource(actor=principal, resource_code=code, quality=body.quality, timeliness=body.timeliness,
                         usefulness=body.usefulness, comment=body.comment, at=now_of(request))
    return await use_case.rate(cmd, uow(request))


@router.get("/resources/{code}/ratings", summary="How consumers rated a resource: averages and the latest ratings")
async def ratings(code: ResourceCode, request: Request, principal: CurrentPrincipal,
                  limit: Annotated[int, Query(ge=1, le=200)] = 20) -> dict[str, Any]:
    found = await use_case.ratings(pool(request), code, limit)
    s = found["summary"]

    def avg(v: Any) -> float | None:
        return round(float(v), 2) if v is not None else None
    return {"resource_code": code, "ratings": s["n"], "quality": avg(s["quality"]),
            "timeliness": avg(s["timeliness"]), "usefulness": avg(s["usefulness"]),
            "recent": [{"consumer": r["consumer"], "quality": r["quality"], "timeliness": r["timeliness"],
                        "usefulness": r["usefulness"], "comment": r["comment"], "rated_at": local_iso(r["rated_at"])}
                       for r in found["recent"]]}
