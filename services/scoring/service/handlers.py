"""The scoring service's write use cases: one handler per command, each one transaction and its events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from contracts.scoring import (
    ClosedResult,
    FindingRecorded,
    FindingRetracted,
    MonthClosed,
)
from hubkit.problems import Problem, conflict, not_found
from pydantic import ValidationError

from scoring.domain.clock import month_bounds, to_datetime
from scoring.domain.finding_rules import FindingRejected, check_finding
from scoring.domain.result import MonthResult
from scoring.domain.ruleset import Ruleset
from scoring.service import commands as c
from scoring.service.ports import FindingRow, Live, ScoringUnitOfWork

AUTOMATIC_PREFIX = "sub:"  # the ids of the findings the hub records from submissions (service/submissions.py)
AUTOMATIC = "hub:submissions"  # the inspector named on them
INVENTORY_PREFIX = "inv:"  # the ids of the findings the hub records from inventories (service/inventory.py)
INVENTORY = "hub:inventory"
_RESERVED = {AUTOMATIC_PREFIX: "submissions", INVENTORY_PREFIX: "system inventories"}


def _rejected(detail: str) -> Problem:
    return Problem(422, "Finding rejected", detail, kind="finding-rejected")


async def record_finding(cmd: c.RecordFinding, uow: ScoringUnitOfWork, ruleset: Ruleset, live: Live,
                         computed: frozenset[str] = frozenset()) -> Any:
    """An inspector's finding goes out through the outbox and comes back through Kafka like any fact;
    its id is recorded once. Items the hub computes itself (`computed`, from the inventories) take no
    typed finding. Returns the event."""
    for prefix, source in _RESERVED.items():
        if cmd.finding_id.startswith(prefix):
            raise _rejected(f"finding_id: ids starting with {prefix!r} are the hub's own (from {source})")
    if cmd.item in computed:
        raise _rejected(f"item: {cmd.item} is computed from the units' system inventories "
                        "(PUT /inventory/{unit}/{entry}); verify or reject the unit's claims instead")
    try:
        check_finding(ruleset, item=cmd.item, effect=cmd.effect, unit_kind=live.unit_kind(cmd.unit),
                      attributed_unit=cmd.attributed_unit, unit=cmd.unit)
        payload = FindingRecorded(
            finding_id=cmd.finding_id, item=cmd.item, effect=cmd.effect, count=cmd.count,
            numerator=cmd.numerator, denominator=cmd.denominator, size=cmd.size,
            attributed_unit=cmd.attributed_unit, note=cmd.note, inspector=cmd.actor.subject)
    except FindingRejected as exc:
        raise _rejected(str(exc)) from None
    except ValidationError as exc:
        raise _rejected("; ".join(f"{'.'.join(map(str, e['loc'])) or 'finding'}: {e['msg']}"
                                  for e in exc.errors())) from None
    async with uow:
        event = uow.emit(payload, unit=cmd.unit, at=cmd.at)
        if not await uow.rows.insert_finding(finding_id=cmd.finding_id, event_id=event.id, unit=cmd.unit,
                                             item=cmd.item, effect=cmd.effect, inspector=cmd.actor.subject,
                                             occurred_at=cmd.at, attributed_unit=cmd.attributed_unit,
                                             note=cmd.note, count=cmd.count):
            raise conflict(f"finding {cmd.finding_id} was already recorded")
        await uow.commit()
    return event


async def retract_finding(cmd: c.RetractFinding, uow: ScoringUnitOfWork) -> FindingRow:
    """Withdraw a finding with a reason, once: it stops counting in every month (a closed month keeps its
    sealed result and shows the withdrawal as an adjustment beside it)."""
    reason = cmd.reason.strip()
    if not reason:
        raise Problem(422, "Invalid request", "reason: say why the finding is withdrawn", kind="invalid-request")
    async with uow:
        row = await uow.rows.finding_for_retraction(cmd.finding_id)
        if row is None:
            raise not_found("finding", cmd.finding_id)
        if row.retracted_at is not None:
            raise conflict(f"finding {cmd.finding_id} was withdrawn already ({row.retract_reason})")
        await withdraw(uow, row, at=cmd.at, by=cmd.actor.subject, reason=reason)
        await uow.commit()
    return replace(row, retracted_at=cmd.at, retracted_by=cmd.actor.subject, retract_reason=reason)


async def withdraw(uow: ScoringUnitOfWork, row: FindingRow, *, at: datetime, by: str, reason: str) -> None:
    """Mark a finding withdrawn and say so (within the caller's unit of work)."""
    await uow.rows.retract_finding(row.finding_id, at=at, by=by, reason=reason)
    uow.emit(FindingRetracted(finding_id=row.finding_id, item=row.item, attributed_unit=row.attributed_unit,
                              finding_occurred_at=row.occurred_at, reason=reason, by=by), unit=row.unit, at=at)


CATCH_UP_SECONDS = 10.0


async def close_month(cmd: c.CloseMonth, uow: ScoringUnitOfWork, live: Live) -> dict[str, Any]:
    """Freeze every unit's result of a month that has ended in event time, with its hash, once."""
    wm = live.watermark
    _, end = month_bounds(cmd.month)
    if wm is None or wm < end:
        seen = to_datetime(wm).isoformat() if wm is not None else "nothing"
        raise Problem(409, "Conflict", f"{cmd.month} has not ended in event time yet (latest event: {seen})",
                      kind="month-not-ended")
    # A watermark past the month's end is not enough while the projection reads a backlog (after a restart,
    # a rebuild, a broker that was away): a partition not read yet may hold the month's facts. Everything on
    # the broker at this instant is folded first, or the close waits for another day.
    behind = await live.caught_up(CATCH_UP_SECONDS)
    if behind is None or behind > 0:
        what = "is not reading the broker yet" if behind is None else f"is {behind} events behind the broker"
        raise Problem(409, "Conflict", f"the projection {what}; a month closes once every event on the broker "
                      "is folded: try again shortly", kind="projection-behind")
    evaluated = await live.evaluate(cmd.month, end, wait=CATCH_UP_SECONDS)
    if evaluated is None:
        raise Problem(409, "Conflict", "the projection did not come to a stop at a committed position (it is "
                      "restarting or rebuilding): try again shortly", kind="projection-busy")
    result, position = evaluated
    async with uow:
        if await uow.rows.is_closed(cmd.month):
            raise conflict(f"{cmd.month} is already closed")
        under_appeal = _under_appeal(result, await uow.rows.open_appeals())
        frozen = await uow.rows.freeze(result, last_position=position, as_of=to_datetime(end),
                                       closed_by=cmd.actor.subject, under_appeal=under_appeal)
        uow.emit(MonthClosed(month=cmd.month, ruleset=result.ruleset_id, ruleset_version=result.ruleset_version,
                             last_position=position,
                             results=[ClosedResult(unit=u, total=t, sha256=h, under_appeal=under_appeal.get(u, []))
                                      for u, t, h in frozen]),
                 unit=cmd.bureau_unit, at=cmd.at)
        await uow.commit()
    return {"month": cmd.month, "ruleset": result.ruleset_id, "ruleset_version": result.ruleset_version,
            "last_position": position, "sha256": result.sha256(), "units": len(frozen)}


def _under_appeal(result: MonthResult, appeals: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Per unit, the open appeals against findings its result counts (a finding counts where its event is
    among an item's causes: at the unit found, or at the unit it is attributed to)."""
    by_event: dict[str, list[str]] = {}
    for appeal_id, event_id in appeals:
        by_event.setdefault(event_id, []).append(appeal_id)
    out: dict[str, list[str]] = {}
    for unit in result.units:
        found = sorted({a for ids in unit.causes.values() for i in ids for a in by_event.get(i, ())})
        if found:
            out[unit.unit] = found
    return out


async def set_webhook(cmd: c.SetWebhook, uow: ScoringUnitOfWork,
                      check_destination: Callable[[str], Awaitable[None]]) -> int:
    """A department's webhook for its own unit's alerts; the destination must pass the egress policy."""
    cmd.actor.ensure_unit(cmd.unit)
    await check_destination(cmd.url)
    async with uow:
        webhook_id = await uow.rows.set_webhook(cmd.unit, cmd.url, cmd.secret)
        await uow.commit()
    return webhook_id


async def stop_webhook(cmd: c.StopWebhook, uow: ScoringUnitOfWork) -> None:
    cmd.actor.ensure_unit(cmd.unit)
    async with uow:
        if not await uow.rows.deactivate_webhook(cmd.unit, cmd.webhook_id):
            raise not_found("webhook", cmd.webhook_id)
        await uow.commit()


async def use_console_code(jti: str, uow: ScoringUnitOfWork) -> bool:
    """A one-time console sign-in code works once: True the first time."""
    async with uow:
        first = await uow.rows.use_console_code(jti)
        await uow.commit()
    return first
