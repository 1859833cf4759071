"""Reminders before a submission deadline: a unit that has nothing valid in for a period yet is told a
number of working days before the deadline, through its alert channels. Pure: instants in, reminders out.

A reminder is not a fact that moves a score (the deadline itself does that, see submissions.py): it is
sent once per unit, requirement and period, and never after the deadline has passed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from contracts.workdays import is_working_day

from scoring.domain.clock import Instant, date_start, local_day, month_bounds, month_of, shift_month
from scoring.domain.submissions import ONCE, Requirement, Submitted, first_after


@dataclass(frozen=True, slots=True)
class Reminder:
    reminder_id: str
    kind: str
    period: str
    at: Instant  # when it is due (its event time)
    deadline: Instant  # the end of the deadline day
    working_days_left: int  # counting the day it is sent, up to the deadline day


def deadline_day(req: Requirement, period: str) -> date:
    return date.fromordinal(local_day(req.deadline_at(period) - 1))


def remind_day(req: Requirement, period: str, days: int) -> date:
    """The working day from which `days` working days are left up to the deadline day, both counted
    (the deadline day counts when it is a working day)."""
    d, left = deadline_day(req, period), 0
    while True:
        if is_working_day(d):
            left += 1
            if left == days:
                return d
        d -= timedelta(days=1)


def near_periods(req: Requirement, now: Instant) -> list[str]:
    """The periods whose deadline may be near: the one-off document, or this month's and next month's
    reports (a report due early in a month may be reminded of at the end of the one before)."""
    if req.due == ONCE:
        return [ONCE]
    assert req.first_month is not None
    current = month_of(now)
    return [p for p in (current, shift_month(current, 1)) if p >= req.first_month]


def settled(req: Requirement, period: str, subs: list[Submitted], now: Instant) -> bool:
    """Something valid is in for the period (received and not returned), or the work was reported
    complete before it (monthly reports stop being due)."""
    if any(s.period == period and (s.returned_at is None or s.returned_at > now) for s in subs):
        return True
    deadline = req.deadline_at(period)
    return req.due != ONCE and any(s.completed and s.accepted_at is not None and s.period < period
                                   and s.accepted_at < deadline for s in subs)


def reminders_due(unit: str, req: Requirement, subs: list[Submitted], now: Instant, registered: Instant,
                  days: int) -> list[Reminder]:
    """The reminders the unit is owed for the requirement as of `now` (`subs`: its submissions of the
    requirement's kind); sent from the remind day (or the unit's registration, if later) until the
    deadline."""
    out = []
    for period in near_periods(req, now):
        deadline = req.deadline_at(period)
        at = max(date_start(remind_day(req, period, days)), registered)
        if not at <= now < deadline or settled(req, period, subs, now):
            continue
        left = sum(1 for n in range(local_day(at), deadline_day(req, period).toordinal() + 1)
                   if is_working_day(date.fromordinal(n)))
        out.append(Reminder(f"remind:{unit}:{req.kind}:{period}", req.kind, period, at, deadline, left))
    return out


def next_change(requirements: Sequence[Requirement], subs: Iterable[Submitted], registered: Iterable[Instant],
                now: Instant, days: int) -> Instant | None:
    """The earliest instant after `now` at which the reminders owed can differ from those at `now` with the
    same submissions and units: a reminder's first day, a deadline (reminders stop), a return or acceptance
    stamped ahead of `now`, a unit's registration, the next month (its reports come into view)."""
    ahead: list[Instant] = [month_bounds(month_of(now))[1]]
    for req in requirements:
        for period in near_periods(req, now):
            ahead += [date_start(remind_day(req, period, days)), req.deadline_at(period)]
    return first_after(now, ahead, subs, registered)
