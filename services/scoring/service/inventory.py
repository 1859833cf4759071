"""The system-inventory use cases: a unit states an entry of its inventory, an inspector verifies or rejects
the claim once, and the sweep records the findings the inventories call for (see domain/inventory.py)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from typing import Literal

from contracts.scoring import FindingRecorded, InventoryClaimed, InventoryClaimReviewed
from hubkit.problems import Problem, conflict, not_found

from scoring.domain.clock import Instant, month_of, to_datetime, to_instant
from scoring.domain.inventory import NETWORK, Change, Claim, InventoryRules, Progress, changes, due
from scoring.service import commands as c
from scoring.service.handlers import INVENTORY
from scoring.service.ports import ClaimRow, Live, ScoringUnitOfWork


def _invalid(detail: str) -> Problem:
    return Problem(422, "Invalid request", detail, kind="invalid-request")


def _check_entry(cmd: c.ClaimEntry) -> None:
    """What makes sense for the kind of entry (a network has no service items, a system no extranet link)."""
    if cmd.kind == NETWORK:
        wrong = [f for f, v in (("origin", cmd.origin), ("service_items", cmd.service_items),
                                ("on_cloud", cmd.on_cloud), ("docked_items", cmd.docked_items),
                                ("form_items", cmd.form_items)) if v]
        if wrong:
            raise _invalid(f"{', '.join(wrong)}: a private network has no such thing (systems only)")
        return
    if cmd.origin is None:
        raise _invalid("origin: say whether the system is self-built or the national vertical one")
    if cmd.connected:
        raise _invalid("connected: a private network's link to the extranet; for a system say on_cloud")
    for name, value in (("docked_items", cmd.docked_items), ("form_items", cmd.form_items)):
        if value > cmd.service_items:
            raise _invalid(f"{name}: {value} exceeds the system's service_items ({cmd.service_items})")
    if cmd.origin == "national-vertical" and cmd.on_cloud:
        raise _invalid("on_cloud: a national vertical system is the ministry's; it is not migrated here")


async def claim_entry(cmd: c.ClaimEntry, uow: ScoringUnitOfWork, live: Live) -> ClaimRow:
    """One entry of the unit's inventory, stated whole; its kind never changes."""
    if cmd.unit not in {u for u, *_ in live.scored_units()}:
        raise _invalid(f"unit: {cmd.unit} is not a registered department or city")
    _check_entry(cmd)
    evidence = cmd.evidence.strip()
    if not evidence:
        raise _invalid("evidence: name the document or record that shows it")
    row = ClaimRow(claim_id=uuid.uuid4().hex, unit=cmd.unit, entry_id=cmd.entry_id, claimed_at=cmd.at,
                   kind=cmd.kind, name=cmd.name.strip(), origin=cmd.origin, service_items=cmd.service_items,
                   connected=cmd.connected, decommissioned=cmd.decommissioned, on_cloud=cmd.on_cloud,
                   docked_items=cmd.docked_items, form_items=cmd.form_items, evidence=evidence,
                   claimant=cmd.actor.subject)
    async with uow:
        kind = await uow.rows.entry_kind(cmd.unit, cmd.entry_id)
        if kind is not None and kind != cmd.kind:
            raise conflict(f"entry {cmd.entry_id} is a {kind}; a new entry id is needed for a {cmd.kind}")
        await uow.rows.insert_claim(row)
        uow.emit(InventoryClaimed(claim_id=row.claim_id, entry_id=row.entry_id, kind=cmd.kind,
                                  name=row.name, origin=cmd.origin, service_items=row.service_items,
                                  connected=row.connected, decommissioned=row.decommissioned,
                                  on_cloud=row.on_cloud, docked_items=row.docked_items, form_items=row.form_items,
                                  evidence=evidence, claimant=row.claimant), unit=cmd.unit, at=cmd.at)
        await uow.commit()
    return row


async def review_claim(cmd: c.ReviewClaim, uow: ScoringUnitOfWork) -> ClaimRow:
    """Verify a claim (its progress counts for good) or reject it with a reason (no more), once."""
    reason = (cmd.reason or "").strip() or None
    if not cmd.verify and reason is None:
        raise _invalid("reason: a rejected claim needs the reason the unit is told")
    async with uow:
        row = await uow.rows.claim_for_review(cmd.unit, cmd.claim_id)
        if row is None:
            raise not_found("claim", cmd.claim_id)
        if row.status != "claimed":
            raise conflict(f"claim {cmd.claim_id} was {row.status} already")
        status: Literal["verified", "rejected"] = "verified" if cmd.verify else "rejected"
        await uow.rows.review_claim(row.claim_id, status=status, at=cmd.at, reviewer=cmd.actor.subject, reason=reason)
        uow.emit(InventoryClaimReviewed(claim_id=row.claim_id, entry_id=row.entry_id, verdict=status,
                                        reason=reason, inspector=cmd.actor.subject), unit=row.unit, at=cmd.at)
        await uow.commit()
    return replace(row, status=status, reviewed_at=cmd.at, reviewer=cmd.actor.subject, reason=reason)


def as_claim(r: ClaimRow) -> Claim:
    reviewed = to_instant(r.reviewed_at) if r.reviewed_at is not None else None
    return Claim(r.claim_id, r.entry_id, to_instant(r.claimed_at), r.kind, r.name, r.origin, r.service_items,
                 Progress(r.connected, r.decommissioned, r.on_cloud, r.docked_items, r.form_items),
                 verified_at=reviewed if r.status == "verified" else None,
                 rejected_at=reviewed if r.status == "rejected" else None)


async def sweep_inventory(now: Instant, uow: ScoringUnitOfWork, rules: InventoryRules, live: Live,
                          since: Instant | None = None) -> int:
    """Record, as of `now` (event time), every finding the inventories call for that is not recorded yet.
    Finding ids name unit, item and instant, so each is recorded once. `since`: the `now` of the last
    sweep that completed; a unit none of whose instants became final since then is not evaluated again.
    Returns how many."""
    if not rules.fed:
        return 0
    recorded = 0
    async with uow:
        await uow.rows.lock_sweep("inventory")  # one sweep at a time, across instances: each finding once
        by_unit: dict[str, list[Claim]] = {}
        for r in await uow.rows.claims_to_judge():
            by_unit.setdefault(r.unit, []).append(as_claim(r))
        done = await uow.rows.automatic_findings(INVENTORY)
        for unit, _, absent, _ in live.scored_units(month_of(now)):
            await asyncio.sleep(0)  # a province of units: the alert path runs between them
            claims = by_unit.get(unit)
            bound = rules.binding(absent)
            if not claims or not due(claims, bound, rules.grace_working_days, since, now):
                continue
            for fed in bound:
                for change in changes(unit, claims, fed, rules.grace_working_days, now):
                    if change.finding_id not in done:
                        await _record(uow, unit, change)
                        recorded += 1
        await uow.commit()
    return recorded


async def _record(uow: ScoringUnitOfWork, unit: str, change: Change) -> None:
    when = to_datetime(change.at)
    event = uow.emit(FindingRecorded(finding_id=change.finding_id, item=change.item, effect=change.effect,
                                     numerator=change.numerator, denominator=change.denominator, note=change.note,
                                     inspector=INVENTORY), unit=unit, at=when)
    if not await uow.rows.insert_finding(finding_id=change.finding_id, event_id=event.id, unit=unit, item=change.item,
                                         effect=change.effect, inspector=INVENTORY, occurred_at=when,
                                         note=change.note):
        raise RuntimeError(f"finding {change.finding_id} appeared during the sweep")  # rolls the sweep back

