"""The submission use cases: a unit submits a document a requirement asks of it, an inspector reviews it
once, and the sweep records the findings of the requirements missed (see domain/submissions.py)."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from contracts.scoring import FindingRecorded, SubmissionAccepted, SubmissionReceived, SubmissionReturned
from hubkit.auth import Role
from hubkit.problems import Problem, conflict, not_found

from scoring.domain.clock import Instant, month_of, parse_month, to_datetime, to_instant
from scoring.domain.documents import NotADocument, document_format
from scoring.domain.ruleset import Ruleset
from scoring.domain.submissions import (
    ONBOARDING_US,
    ONCE,
    Requirement,
    Requirements,
    Submitted,
    due_periods,
    judge,
    next_change,
)
from scoring.service import commands as c
from scoring.service.handlers import AUTOMATIC, AUTOMATIC_PREFIX
from scoring.service.ports import FindingRow, Live, ScoringUnitOfWork, SubmissionRow


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
        if entered_by is not None and missed in await uow.rows.automatic_findings(AUTOMATIC):
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


@dataclass
class SweepMemo:
    """What the last completed sweep judged from, so that a pass that could find nothing new reads nothing:
    the submissions' stamp (rows and reviews: a submission is added, or reviewed once), the scored units,
    and the next instant at which time alone could change a judgement."""

    stamp: tuple[int, int] | None = None
    units: list[Any] | None = None
    next_change: Instant | None = None

    def unchanged(self, stamp: tuple[int, int], units: list[Any], now: Instant) -> bool:
        return (stamp == self.stamp and units == self.units
                and (self.next_change is None or now < self.next_change))


async def sweep_submissions(now: Instant, uow: ScoringUnitOfWork, requirements: Requirements, ruleset: Ruleset,
                            live: Live, memo: SweepMemo | None = None) -> int:
    """Record the findings of every requirement missed as of `now` (event time) that are not recorded
    yet: a flag item's `holds` (and its `resolved` once a submission is accepted), an occurrence item's
    occurrence. Finding ids name unit, kind and period, so each is recorded once. With a `memo` (kept by
    the caller between passes) a pass that could find nothing new returns at once. Returns how many."""
    if not requirements.requirements:
        return 0
    units = live.scored_units(month_of(now))  # not checked: no misses
    async with uow:
        # Read before the rows: a submission that comes in between makes the next pass read them again.
        stamp = await uow.rows.submissions_stamp()
        if memo is not None and memo.unchanged(stamp, units, now):
            return 0
        await uow.rows.lock_sweep("submission")  # one sweep at a time, across instances: each finding once
        by_unit: dict[tuple[str, str], list[Submitted]] = {}
        for r in await uow.rows.submissions_to_judge():
            by_unit.setdefault((r.unit, r.kind), []).append(as_submitted(r))
        done = await uow.rows.automatic_findings(AUTOMATIC)
        new = await _new_findings(uow, now, units, requirements, ruleset, by_unit, done)
        # One statement for all (a deadline passing for 1,000 units records 10,000: 1.95 s one by one)
        if clashes := await uow.rows.insert_findings(new):
            raise RuntimeError(f"findings {clashes[:3]} appeared during the sweep")  # rolls the sweep back
        recorded = len(new)
        await uow.commit()
    if memo is not None:
        memo.stamp, memo.units = stamp, units
        memo.next_change = next_change(requirements.requirements, [s for subs in by_unit.values() for s in subs],
                                       [registered for _, _, _, registered in units], now)
    return recorded


async def _new_findings(uow: ScoringUnitOfWork, now: Instant, units: list[tuple[str, str, frozenset[str], int]],
                        requirements: Requirements, ruleset: Ruleset,
                        by_unit: dict[tuple[str, str], list[Submitted]], done: set[str]) -> list[FindingRow]:
    """Every finding the misses as of `now` call for that is not recorded yet, its event emitted."""
    new: list[FindingRow] = []
    for unit, kind, absent, registered in units:
        await asyncio.sleep(0)  # a province of units: the alert path runs between them
        if now < registered + ONBOARDING_US:
            continue  # the bureau's first day with a unit: it enters what the unit sent before
        for req in requirements.binding(ruleset, kind, absent):
            for finding_id, effect, at, note in _misses(req, by_unit.get((unit, req.kind), []), now, ruleset, unit):
                if finding_id not in done:
                    new.append(_automatic(uow, finding_id, unit, req.item, effect, at, note))
    return new


def _automatic(uow: ScoringUnitOfWork, finding_id: str, unit: str, item: str, effect: str, at: Instant,
               note: str) -> FindingRow:
    """The finding's event (collected by the unit of work) and its row."""
    when, count = to_datetime(at), 1 if effect == "occurrence" else None
    event = uow.emit(FindingRecorded(finding_id=finding_id, item=item, effect=effect, count=count, note=note,
                                     inspector=AUTOMATIC), unit=unit, at=when)
    return FindingRow(finding_id=finding_id, event_id=event.id, unit=unit, item=item, effect=effect,
                      inspector=AUTOMATIC, occurred_at=when, note=note, count=count)


def as_submitted(r: SubmissionRow) -> Submitted:
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
