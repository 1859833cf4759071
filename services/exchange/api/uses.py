"""Use of shared data: a department records that shared data replaced forms or materials; and the
operators' per-provider statistics of calls and requests."""

from __future__ import annotations

from typing import Any, Literal

from contracts import new_envelope
from contracts.exchange import DataUsed
from contracts.values import ResourceCode
from fastapi import APIRouter, Request
from hubkit import outbox
from hubkit.auth import CurrentPrincipal, Role
from hubkit.deps import now as now_of
from hubkit.deps import pool
from hubkit.problems import forbidden, not_found
from pydantic import BaseModel, Field

from exchange.storage import repo

router = APIRouter(tags=["uses"])


class UseBody(BaseModel):
    resource_code: ResourceCode
    purpose: Literal["general", "high_frequency", "business_environment"] = Field(
        description="general; a high-frequency item; a business-environment indicator")
    note: str | None = Field(None, max_length=1000, description="which form or material it replaced")


@router.post("/data-uses", status_code=201, summary="Record that shared data cut forms or materials")
async def record_use(body: UseBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    principal.require(Role.department)
    consumer, now = principal.unit or "", now_of(request)
    async with pool(request).acquire() as conn, conn.transaction():
        route = await repo.gateway_route(conn, consumer, body.resource_code)
        if route is None:
            raise not_found("published resource", body.resource_code)
        if not route["subscribed"]:  # E1.2/E1.4 reward use of shared data the unit actually receives
            raise forbidden(f"{consumer} holds no active subscription to {body.resource_code}; "
                            "only data a unit receives through the exchange can be recorded as used")
        use_id = await conn.fetchval("INSERT INTO data_uses (consumer, resource_code, purpose, note, used_at) "
                                     "VALUES ($1, $2, $3, $4, $5) RETURNING id", consumer, body.resource_code,
                                     body.purpose, body.note, now)
        payload = DataUsed(resource_code=body.resource_code, consumer_unit=consumer, purpose=body.purpose)
        await outbox.add(conn, "exchange", new_envelope(payload, unit=consumer, occurred_at=now))
    return {"id": use_id, "resource_code": body.resource_code, "purpose": body.purpose}


@router.get("/stats/providers", summary="Per provider: calls, failure rate, failing resources, latency, requests")
async def provider_stats(request: Request, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    principal.require(Role.operator, Role.auditor)
    async with pool(request).acquire() as conn:
        return await repo.provider_stats(conn, now_of(request))
