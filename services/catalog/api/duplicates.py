"""The same data collected by several units (重复采集): candidates for the bureau, and its decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from contracts.values import ResourceCode
from fastapi import APIRouter, Query, Request
from hubkit import deps
from hubkit.auth import CurrentPrincipal
from pydantic import AwareDatetime, BaseModel, Field

from catalog.api.common import uow, write_instant
from catalog.service import commands as c
from catalog.service import duplicates, queries

router = APIRouter(prefix="/duplicates", tags=["duplicates"])


class DuplicateDecision(BaseModel):
    codes: list[ResourceCode] = Field(min_length=2, max_length=2, description="the pair (either order)")
    decision: Literal["confirm", "dismiss"]
    authoritative: ResourceCode | None = Field(None, description=(
        "confirm: which of the two is the authoritative source (一数一源: the unit that first collects the data)"))
    reason: str | None = Field(None, max_length=2000)
    occurred_at: AwareDatetime | None = Field(None, description="bureau only: record at a past instant")


class Decided(BaseModel):
    codes: list[str]
    decision: str
    authoritative: str | None
    reason: str | None
    decided_at: datetime


@router.get("/candidates", summary="Pairs of two units' published resources that look like the same data")
async def candidates(request: Request, principal: CurrentPrincipal,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
    return await queries.duplicate_candidates(deps.pool(request), limit)


@router.post("", status_code=201, summary="Confirm a pair as the same data (its authoritative source) or dismiss it")
async def decide(body: DuplicateDecision, request: Request, principal: CurrentPrincipal) -> Decided:
    cmd = c.DecideDuplicate(actor=principal, codes=(body.codes[0], body.codes[1]), decision=body.decision,
                            authoritative=body.authoritative, reason=body.reason,
                            at=write_instant(request, principal, body.occurred_at))
    return Decided(**await duplicates.decide(cmd, uow(request)))


@router.get("", summary="The bureau's decisions (a resource's, or all)")
async def decided(request: Request, principal: CurrentPrincipal,
                  decision: Annotated[Literal["confirmed", "dismissed"] | None, Query()] = None,
                  code: Annotated[str | None, Query(max_length=27)] = None) -> list[Decided]:
    found = await queries.duplicate_decisions(deps.pool(request), decision=decision, code=code)
    return [Decided(codes=[d["a"], d["b"]], decision=d["decision"], authoritative=d["authoritative"],
                    reason=d["reason"], decided_at=d["decided_at"]) for d in found]
