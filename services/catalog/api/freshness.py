"""Freshness: which mounted resources are stale, and how long until each of the others turns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from hubkit import deps
from hubkit.auth import CurrentPrincipal, Role
from pydantic import BaseModel

from catalog.service import queries

router = APIRouter(prefix="/freshness", tags=["freshness"])


class FreshnessRow(BaseModel):
    code: str
    provider: str
    name: str
    update_cycle: str
    last_update_at: datetime
    stale_at: datetime
    stale: bool
    seconds_until_stale: int


@router.get("", summary="Mounted resources with their freshness (a department: its own), stale first")
async def list_freshness(
    request: Request, principal: CurrentPrincipal,
    unit: Annotated[str | None, Query(description="provider USCC (operators; a department sees its own)")] = None,
    stale: Annotated[bool | None, Query(description="only stale (true) or only fresh (false)")] = None,
) -> list[FreshnessRow]:
    if principal.role is Role.department:
        unit = principal.unit
    rows = [FreshnessRow(code=r.code, provider=r.provider, name=r.metadata.name,
                         update_cycle=r.metadata.update_cycle, last_update_at=f.last_update, stale_at=f.stale_at,
                         stale=f.stale, seconds_until_stale=int(f.remaining.total_seconds()))
            for r, f in await queries.freshness_of_mounted(deps.pool(request), unit, deps.now(request))
            if stale is None or f.stale == stale]
    return sorted(rows, key=lambda x: x.stale_at)
