"""The units' system inventories (信息系统清单): private networks and information systems with the progress
claimed for them, the inspectors' verification, and the items the hub computes from them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from hubkit.auth import CurrentPrincipal
from pydantic import BaseModel, Field

from scoring.api import deps
from scoring.domain.clock import SHANGHAI, to_datetime, to_instant
from scoring.domain.deadlines import working_deadline_at
from scoring.domain.inventory import MEASURES, Claim, state_at
from scoring.service import commands as c
from scoring.service import inventory as handlers
from scoring.service import queries
from scoring.service.ports import ClaimRow

router = APIRouter(tags=["inventory"])
EntryId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$", description="the entry, unique in the unit")]


class EntryBody(BaseModel):
    kind: Literal["private-network", "information-system"] = Field(description="业务专网 or 信息系统")
    name: str = Field(min_length=1, max_length=200)
    origin: Literal["self-built", "national-vertical"] | None = Field(
        None, description="systems: self-built (自建) or the national vertical system (国垂)")
    service_items: int = Field(0, ge=0, le=100_000, description="systems: the service items it handles")
    connected: bool = Field(False, description="networks: connected to the e-government extranet (联通)")
    decommissioned: bool = Field(False, description="decommissioned, merged or reworked (撤并改); a system: retired")
    on_cloud: bool = Field(False, description="self-built systems: migrated to the government cloud")
    docked_items: int = Field(0, ge=0, le=100_000, description="systems: service items docked to the platform")
    form_items: int = Field(0, ge=0, le=100_000, description="systems: service items whose business forms "
                                                            "were submitted")
    evidence: str = Field(min_length=1, max_length=500, description="the document or record that shows it")


class RejectBody(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="what the unit's claim gets wrong")


def _view(row: ClaimRow) -> dict[str, Any]:
    def local(t: Any) -> str | None:
        return t.astimezone(SHANGHAI).isoformat() if t is not None else None

    return {"claim_id": row.claim_id, "unit": row.unit, "entry_id": row.entry_id, "claimed_at": local(row.claimed_at),
            "kind": row.kind, "name": row.name, "origin": row.origin, "service_items": row.service_items,
            "connected": row.connected, "decommissioned": row.decommissioned, "on_cloud": row.on_cloud,
            "docked_items": row.docked_items, "form_items": row.form_items, "evidence": row.evidence,
            "claimant": row.claimant, "status": row.status, "reviewed_at": local(row.reviewed_at),
            "reviewer": row.reviewer, "reason": row.reason}


@router.put("/inventory/{unit}/{entry_id}", status_code=201, summary="State one entry of the unit's inventory")
async def claim(unit: str, entry_id: EntryId, body: EntryBody, request: Request,
                principal: CurrentPrincipal) -> dict[str, Any]:
    cmd = c.ClaimEntry(actor=principal, unit=unit, entry_id=entry_id, kind=body.kind, name=body.name,
                       origin=body.origin, service_items=body.service_items, connected=body.connected,
                       decommissioned=body.decommissioned, on_cloud=body.on_cloud, docked_items=body.docked_items,
                       form_items=body.form_items, evidence=body.evidence, at=deps.now(request))
    return _view(await handlers.claim_entry(cmd, deps.uow(request), deps.live(request)))


@router.get("/inventory/{unit}", summary="The unit's inventory: entries as claimed and as counted now, "
                                         "the items computed from it, every claim")
async def inventory(unit: str, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    rows = await queries.inventory_claims(deps.pool(request), unit)
    rules = deps.inventory_rules(request)
    claims = [handlers.as_claim(r) for r in rows]
    now = to_instant(deps.now(request))
    counted = {e.entry_id: e for e in state_at(claims, now, rules.grace_working_days)}
    latest = {r.entry_id: r for r in rows}
    entries = [{**_view(latest[e]), "counted": {
        "connected": d.connected, "decommissioned": d.decommissioned, "on_cloud": d.on_cloud,
        "docked_items": d.docked_items, "form_items": d.form_items}} for e, d in
        ((e, counted[e].done) for e in sorted(latest))]
    values = {f.item: MEASURES[f.measure][1](list(counted.values())) for f in rules.fed}
    return {"unit": unit, "grace_working_days": rules.grace_working_days, "entries": entries,
            "items": [{"item": item, "holds": v.holds, "numerator": v.numerator if v.holds is None else None,
                       "denominator": v.denominator if v.holds is None else None, "note": v.note}
                      for item, v in values.items()],
            "claims": [{**_view(r), "believed_until": _believed_until(claim, rules.grace_working_days)}
                       for r, claim in zip(rows, claims, strict=True)]}


def _believed_until(claim: Claim, grace_days: int) -> str | None:
    """When an unreviewed claim stops counting (None once reviewed)."""
    if claim.verified_at is not None or claim.rejected_at is not None:
        return None
    return to_datetime(working_deadline_at(claim.at, grace_days)).astimezone(SHANGHAI).isoformat()


@router.post("/inventory/{unit}/claims/{claim_id}/verify", summary="Verify a claim: its progress counts for good")
async def verify(unit: str, claim_id: str, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    cmd = c.ReviewClaim(actor=principal, unit=unit, claim_id=claim_id, verify=True, reason=None, at=deps.now(request))
    return _view(await handlers.review_claim(cmd, deps.uow(request)))


@router.post("/inventory/{unit}/claims/{claim_id}/reject", summary="Reject a claim with the reason: it no "
                                                                  "longer counts")
async def reject(unit: str, claim_id: str, body: RejectBody, request: Request,
                 principal: CurrentPrincipal) -> dict[str, Any]:
    cmd = c.ReviewClaim(actor=principal, unit=unit, claim_id=claim_id, verify=False, reason=body.reason,
                        at=deps.now(request))
    return _view(await handlers.review_claim(cmd, deps.uow(request)))
