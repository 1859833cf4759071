"""A unit's to-do list: what it can still do in time, each with its deadline in PRC working days and what
missing it would cost. Pure: the unit's requirements, submissions, findings and open requests in.

- a document a requirement asks of it, not in (or returned) before its deadline: the item it would cost;
- a forwarded data-sharing request it has not decided, within its working-day limit (the facts scoring has);
- a finding against it still open to appeal (within the appeal window, not appealed yet).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from contracts.workdays import is_working_day

from scoring.domain.clock import Instant, local_day
from scoring.domain.deadlines import working_deadline_at
from scoring.domain.reminders import near_periods, settled
from scoring.domain.ruleset import Ruleset
from scoring.domain.submissions import ONCE, Requirement, Submitted

Kind = Literal["submission", "request", "appeal"]


@dataclass(frozen=True, slots=True)
class Todo:
    kind: Kind
    what: str
    due: Instant  # the end of the last day (00:00 of the next)
    working_days_left: int  # counting today, up to the last day
    how: str  # the API call that does it
    item: str | None = None  # what missing it costs
    points: Decimal | None = None


def working_days_left(now: Instant, due: Instant) -> int:
    """Working days from `now`'s local day to the last day before `due`, both counted."""
    return sum(1 for n in range(local_day(now), local_day(due - 1) + 1) if is_working_day(date.fromordinal(n)))


def _submissions(unit: str, reqs: Sequence[Requirement], subs: Mapping[str, list[Submitted]], ruleset: Ruleset,
                 now: Instant) -> Iterable[Todo]:
    for req in reqs:
        mine = subs.get(req.kind, [])
        for period in near_periods(req, now):
            due = req.deadline_at(period)
            if due <= now or settled(req, period, mine, now):
                continue
            what = req.title_zh if period == ONCE else f"{period} {req.title_zh}"
            yield Todo("submission", f"报送{what}", due, working_days_left(now, due),
                       f"POST /submissions/{unit} (kind={req.kind}" + ("" if period == ONCE else f", period={period}")
                       + ")", req.item, ruleset.items[req.item].points)


def todos(unit: str, *, requirements: Sequence[Requirement], submissions: Mapping[str, list[Submitted]],
          requests: Iterable[tuple[str, Instant]], findings: Iterable[tuple[str, str, Instant]],
          appealed: set[str], ruleset: Ruleset, now: Instant, appeal_days: int) -> list[Todo]:
    """`requests`: (request id, decision deadline) of forwarded requests it has not decided; `findings`:
    (finding id, item, event time) of the findings against it still counted; nearest deadline first."""
    found = list(_submissions(unit, requirements, submissions, ruleset, now))
    found += [Todo("request", f"审核答复共享申请 {request_id}", due, working_days_left(now, due),
                   f"POST /requests/{request_id}/decision (exchange service)")
              for request_id, due in requests if due > now]
    for finding_id, item, at in findings:
        due = working_deadline_at(at, appeal_days)
        if finding_id not in appealed and due > now:
            found.append(Todo("appeal", f"对督查发现 {finding_id}（{item}）提出申诉（如有异议）", due,
                              working_days_left(now, due), f"POST /findings/{finding_id}/appeal", item,
                              ruleset.items[item].points if item in ruleset.items else None))
    return sorted(found, key=lambda t: (t.due, t.kind, t.what))
