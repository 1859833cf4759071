"""Use of shared data: a department records that shared data replaced forms or materials; and the
operators' per-provider statistics of calls and requests."""

from __future__ import annotations

from typing import Any, Literal

from contracts.values import ResourceCode
from fastapi import APIRouter, Request
from hubkit.auth import CurrentPrincipal
from hubkit.deps import now as now_of
from hubkit.deps import pool
from pydantic import BaseModel, Field

from exchange.api.common import uow
from exchange.service import commands as c
from exchange.service import handlers, queries

router = APIRouter(tags=["uses"])


class UseBody(BaseModel):
    resource_code: ResourceCode
    purpose: Literal["general", "high_frequency", "business_environment"] = Field(
        description="general; a high-frequency item; a business-environment indicator")
    note: str | None = Field(None, max_length=1000, description="which form or material it replaced")


@router.post("/data-uses", status_code=201, summary="Record that shared data cut forms or materials")
async def record_use(body: UseBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    cmd = c.RecordDataUse(actor=principal, resource_code=body.resource_code, purpose=body.purpose, note=body.note,
                          at=now_of(request))
    use_id = await handlers.record_data_use(cmd, uow(request))
    return {"id": use_id, "resource_code": body.resource_code, "purpose": body.purpose}


@router.get("/stats/providers", summary="Per provider: calls, failure rate, failing resources, latency, requests")
async def provider_stats(request: Request, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    return await queries.provider_stats(pool(request), now_of(request))
