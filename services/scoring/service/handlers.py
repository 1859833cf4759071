"""The scoring service's write use cases: one handler per command, each one transaction and its events."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from contracts.scoring import (
    ClosedResult,
    FindingRecorded,
    FindingRetracted,
    MonthClosed,
    SubmissionAccepted,
    SubmissionReceived,
    SubmissionReturned,
)
from hubkit.auth import Role
from hubkit.problems import Problem, conflict, not_found
from pydantic import ValidationError

from scoring.domain.clock import Instant, month_bounds, month_of, parse_month, to_datetime, to_instant
from scoring.domain.documents import NotADocument, document_format
from scoring.domain.finding_rules import FindingRejected, check_finding
from scoring.domain.ruleset import Ruleset
from scoring.domain.submissions import (
    ONBOARDING_US,
    ONCE,
    Requirement,
    Requirements,
    Submitted,
    due_periods,
    judge,
)
from scoring.service import commands as c
from scoring.service.ports import FindingRow, Live, ScoringUnitOfWork, SubmissionRow

AUTOMATIC_PREFIX = "sub:"  # the ids of the findings the hub records from submissions


def _rejected(detail: str) -> Problem:
    return Problem(422, "Finding rejected", detail, kind="finding-rejected")


async def record_finding(cmd: c.RecordFinding, uow: ScoringUnitOfWork, ruleset: Ruleset, live: Live) -> Any:
    """An inspector's finding goes out through the outbox and comes back through Kafka like any fact;
    its id is recorded once. Returns the event."""
    if cmd.finding_id.startswith(AUTOMATIC_PREFIX):
        raise _rejected(f"finding_id: ids starting with {AUTOMATIC_PREFIX!r} are the hub's own (from submissions)")
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
        await uow.rows.retract_finding(row.finding_id, at=cmd.at, by=cmd.actor.subject, reason=reason)
        uow.emit(FindingRetracted(finding_id=row.finding_id, item=row.item, attributed_unit=row.attributed_unit,
                                  finding_occurred_at=row.occurred_at, reason=reason, by=cmd.actor.subject),
                 unit=row.unit, at=cmd.at)
        await uow.commit()
    return replace(row, retracted_at=cmd.at, retracted_by=cmd.actor.subject, retract_reason=reason)


async def close_month(cmd: c.CloseMonth, uow: ScoringUnitOfWork, live: Live) -> dict[str, Any]:
    """Freeze every unit's result of a month that has ended in event time, with its hash, once."""
    wm = live.watermark
    _, end = month_bounds(cmd.month)
    if wm is None or wm < end:
        seen = to_datetime(wm).isoformat() if wm is not None else "nothing"
        raise Problem(409, "Conflict", f"{cmd.month} has not ended in event time yet (latest event: {seen})",
                      kind="month-not-ended")
    result = live.evaluate(cmd.month, end)
    async with uow:
        if await uow.rows.is_closed(cmd.month):
            raise conflict(f"{cmd.month} is already closed")
        position = live.position
        frozen = await uow.rows.freeze(result, last_position=position, as_of=to_datetime(end),
                                       closed_by=cmd.actor.subject)
        uow.emit(MonthClosed(month=cmd.month, ruleset=result.ruleset_id, ruleset_version=result.ruleset_version,
                             last_position=position,
                             results=[ClosedResult(unit=u, total=t, sha256=h) for u, t, h in frozen]),
                 unit=cmd.bureau_unit, at=cmd.at)
        await uow.commit()
    return {"month": cmd.month, "ruleset": result.ruleset_id, "ruleset_version": result.ruleset_version,
            "last_position": position, "sha256": result.sha256(), "units": len(frozen)}


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


# ── submissions ──────────────────────────────────────────────────────────────────────────────
AUTOMATIC = "hub:submissions"  # the inspector named on the findings the hub records from submissions


def _invalid(detail: str) -> Problem:
    return Problem(422, "Invalid request", detail, kind="invalid-request")


def _received_at(cmd: c.Submit) -> datetime:
    """When the document came: now, or for the bureau entering one it received outside the hub, the
    instant it says (not in the future)."""
    if cmd.received_at is None:
        return cmd.at
    if cmd.actor.role is not Role.operator:
        raise _invalid("received_at: only the bureau enters a document it received outside the hub")
    if cmd.received_at > cmd.at:
        raise _invalid(f"received_at: {cmd.received_at.isoformat()} is in the future")
    return cmd.received_at


def _period(period: str | None, received: datetime, req: Requirement) -> str:
    """The period a submission is for: "once", or a month from the requirement's first to the current."""
    if req.due == ONCE:
        if period not in (None, ONCE):
            raise _invalid(f"period: {req.kind} is submitted once; its period is 'once', not {period!r}")
        return ONCE
    current = month_of(to_instant(received))
    period = period or current
    try:
        parse_month(period)
    except ValueError as exc:
        raise _invalid(f"period: {exc}") from None
    assert req.first_month is not None
    if period > current:
        raise _invalid(f"period: {period} is in the future (this is {current})")
    if period < req.first_month:
        raise _invalid(f"period: {req.kind} is due monthly from {req.first_month}, not for {period}")
    return period


def _requirement_of(cmd: c.Submit, requirements: Requirements, ruleset: Ruleset, live: Live) -> Requirement:
    """The requirement the submission is for, if the rules ask it of the unit."""
    req = requirements.of_kind(cmd.kind)
    if req is None:
        known = ", ".join(r.kind for r in requirements.requirements) or "none"
        raise _invalid(f"kind: {cmd.kind!r} is not a submission the rules ask for (known: {known})")
    bound = {u: (k, a) for u, k, a, _ in live.scored_units()}
    if cmd.unit not in bound:
        raise _invalid(f"unit: {cmd.unit} is not a registered department or city")
    if req not in requirements.binding(ruleset, *bound[cmd.unit]):
        raise _invalid(f"kind: {req.kind} is not asked of this unit (its item {req.item} does not apply to it)")
    return req


async def submit(cmd: c.Submit, uow: ScoringUnitOfWork, requirements: Requirements, ruleset: Ruleset,
                 live: Live) -> SubmissionRow:
    """A unit's document for a requirement the ruleset names; the bureau reviews it later."""
    req = _requirement_of(cmd, requirements, ruleset, live)
    received = _received_at(cmd)
    period = _period(cmd.period, received, req)
    if cmd.completed and req.due == ONCE:
        raise _invalid("completed: only a monthly progress report can say the work is complete")
    entered_by = cmd.actor.subject if cmd.received_at is not None else None
    try:
        fmt = document_format(cmd.file_name, cmd.file)
    except NotADocument as exc:
        raise _invalid(str(exc)) from None
    row = SubmissionRow(submission_id=uuid.uuid4().hex, unit=cmd.unit, kind=req.kind, period=period,
                        received_at=received, file_sha256=hashlib.sha256(cmd.file).hexdigest(),
                        file_name=cmd.file_name, file_format=fmt, completed=cmd.completed)
    async with uow:
        missed = f"{AUTOMATIC_PREFIX}{cmd.unit}:{req.kind}:{period}"
        if entered_by is not None and missed in await uow.rows.automatic_findings():
            raise conflict(f"the hub recorded already that {req.kind} for {period} was missed; a document entered "
                           "now does not change that")
        await uow.rows.insert_submission(row, cmd.file)
        uow.emit(SubmissionReceived(submission_id=row.submission_id, kind=row.kind, period=period,
                                    file_sha256=row.file_sha256, file_name=row.file_name, file_format=fmt,
                                    completed=row.completed, entered_by=entered_by), unit=cmd.unit, at=received)
        await uow.commit()
    return row


async def review_submission(cmd: c.Review, uow: ScoringUnitOfWork) -> SubmissionRow:
    """Accept a submission, or return it with a reason; once."""
    reason = (cmd.reason or "").strip() or None
    if not cmd.accept and reason is None:
        raise _invalid("reason: a returned submission needs the reason the unit is told")
    async with uow:
        row = await uow.rows.submission_for_review(cmd.unit, cmd.submission_id)
        if row is None:
            raise not_found("submission", cmd.submission_id)
        if row.status != "received":
            raise conflict(f"submission {cmd.submission_id} was {row.status} already")
        status = "accepted" if cmd.accept else "returned"
        await uow.rows.review_submission(row.submission_id, status=status, at=cmd.at, reviewer=cmd.actor.subject,
                                         reason=reason)
        event: SubmissionAccepted | SubmissionReturned = (
            SubmissionAccepted(submission_id=row.submission_id, kind=row.kind, period=row.period,
                               inspector=cmd.actor.subject) if cmd.accept else
            SubmissionReturned(submission_id=row.submission_id, kind=row.kind, period=row.period,
                               reason=reason or "", inspector=cmd.actor.subject))
        uow.emit(event, unit=row.unit, at=cmd.at)
        await uow.commit()
    return replace(row, status=status, reviewed_at=cmd.at, reviewer=cmd.actor.subject, reason=reason)


async def sweep_submissions(now: Instant, uow: ScoringUnitOfWork, requirements: Requirements, ruleset: Ruleset,
                            live: Live) -> int:
    """Record the findings of every requirement missed as of `now` (event time) that are not recorded
    yet: a flag item's `holds` (and its `resolved` once a submission is accepted), an occurrence item's
    occurrence. Finding ids name unit, kind and period, so each is recorded once. Returns how many."""
    if not requirements.requirements:
        return 0
    recorded = 0
    async with uow:
        await uow.rows.lock_submission_sweep()  # one sweep at a time, across instances: each finding once
        by_unit: dict[tuple[str, str], list[Submitted]] = {}
        for r in await uow.rows.submissions_to_judge():
            by_unit.setdefault((r.unit, r.kind), []).append(_submitted(r))
        done = await uow.rows.automatic_findings()
        for unit, kind, absent, registered in live.scored_units():
            if now < registered + ONBOARDING_US:
                continue  # the bureau's first day with a unit: it enters what the unit sent before
            for req in requirements.binding(ruleset, kind, absent):
                for finding_id, effect, at, note in _misses(req, by_unit.get((unit, req.kind), []), now, ruleset,
                                                            unit):
                    if finding_id not in done:
                        await _record_automatic(uow, finding_id, unit, req.item, effect, at, note)
                        recorded += 1
        await uow.commit()
    return recorded


async def _record_automatic(uow: ScoringUnitOfWork, finding_id: str, unit: str, item: str, effect: str,
                            at: Instant, note: str) -> None:
    when = to_datetime(at)
    event = uow.emit(FindingRecorded(finding_id=finding_id, item=item, effect=effect,
                                     count=1 if effect == "occurrence" else None, note=note, inspector=AUTOMATIC),
                     unit=unit, at=when)
    if not await uow.rows.insert_finding(finding_id=finding_id, event_id=event.id, unit=unit, item=item,
                                         effect=effect, inspector=AUTOMATIC, occurred_at=when, note=note,
                                         count=1 if effect == "occurrence" else None):
        raise RuntimeError(f"finding {finding_id} appeared during the sweep")  # rolls the sweep back


def _submitted(r: SubmissionRow) -> Submitted:
    reviewed = to_instant(r.reviewed_at) if r.reviewed_at is not None else None
    return Submitted(r.submission_id, r.period, to_instant(r.received_at),
                     accepted_at=reviewed if r.status == "accepted" else None,
                     returned_at=reviewed if r.status == "returned" else None, completed=r.completed)


def _misses(req: Requirement, subs: list[Submitted], now: Instant, ruleset: Ruleset, unit: str
            ) -> list[tuple[str, str, Instant, str]]:
    """(finding id, effect, instant, note) of every finding the requirement's misses call for."""
    flag = ruleset.items[req.item].kind == "flag"
    out = []
    for period in due_periods(req, subs, now):
        miss = judge(req, period, subs, now, flag)
        if miss is None:
            continue
        finding_id = f"{AUTOMATIC_PREFIX}{unit}:{req.kind}:{period}"
        out.append((finding_id, "holds" if flag else "occurrence", miss.at, req.describe(period)))
        if miss.resolved_at is not None:
            out.append((finding_id + ":resolved", "resolved", miss.resolved_at, f"已报送并通过审核：{req.title_zh}"))
    return out
