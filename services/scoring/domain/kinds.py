"""One evaluator per item kind. An item's observations come from inspectors' findings (source
insp) or from the metric the ruleset names; the kind decides the points."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from scoring.domain import findings
from scoring.domain.clock import Instant, add_months, date_end, date_start
from scoring.domain.facts import Batch, EventId
from scoring.domain.metrics import METRICS, completion
from scoring.domain.ruleset import Item
from scoring.domain.window import NEVER, Achievement, Horizon, Interval, Occurrence, Rate, Seen, UnitView, Window

ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    """An item's points and causes, and until when they hold (`until`: the horizon of what the
    evaluation compared T with; with the same facts they hold while T < until)."""

    points: Decimal  # before the indicator cap
    causes: tuple[EventId, ...]
    until: Instant = field(default=NEVER, compare=False)


NOTHING = ItemOutcome(ZERO, ())


def _observe(item: Item, view: UnitView, win: Window, h: Horizon, from_findings: Callable[..., Seen[Any]]) -> Any:
    """The item's observation (from its metric, or inspectors' findings); what the observer
    compared T with goes to the evaluation's horizon."""
    seen = from_findings(view, item, win) if item.metric is None else METRICS[item.metric](view, item, win)
    h.watch_all(seen.watched)
    return seen.value


def _outcome(points: Decimal, causes: tuple[EventId, ...], h: Horizon) -> ItemOutcome:
    if not points and h.at == NEVER:
        return NOTHING
    return ItemOutcome(points, causes, h.at)


def _lower_bound(item: Item, win: Window) -> int:
    """Earliest instant of the month at which the item can cost (start date, deadline day)."""
    lo = win.start
    if item.starts is not None:
        lo = max(lo, date_start(item.starts))
    if item.deadline is not None:
        lo = max(lo, date_end(item.deadline))
    return lo


def flag(item: Item, view: UnitView, win: Window) -> ItemOutcome:
    """Costs in every month during which it held at some visible instant."""
    h = Horizon(win)
    if not (h.after_start(item.starts) and h.after_deadline(item.deadline)):
        return _outcome(ZERO, (), h)
    lo, hi = _lower_bound(item, win), win.last
    spans: list[Interval] = _observe(item, view, win, h, findings.flag_intervals)
    for s in spans:
        h.watch(s.start)
    held = [s for s in spans if s.start <= hi and (s.end is None or s.end > lo) and s.start < win.end]
    if not held:
        return _outcome(ZERO, (), h)
    full = any(not s.reduced for s in held) or item.reduced_points is None
    points = item.points if full else item.reduced_points
    assert points is not None
    return _outcome(points, _causes(s.causes for s in held), h)


def occurrence(item: Item, view: UnitView, win: Window) -> ItemOutcome:
    """Points x count for each occurrence in the month (event time), from the start date on."""
    h = Horizon(win)
    lo, hi = _lower_bound(item, win), win.last
    total, causes = ZERO, []
    occs: list[Occurrence] = _observe(item, view, win, h, findings.occurrences)
    for occ in occs:
        h.watch(occ.t)
        if lo <= occ.t <= hi and occ.count > 0:
            total += (item.points if occ.points is None else occ.points) * occ.count
            causes.append(occ.causes)
    return _outcome(total, _causes(causes) if total else (), h)


def tier_points(item: Item, numerator: int, denominator: int) -> Decimal:
    """Points of the lowest threshold the rate is below (exact: num*100 < below*den)."""
    if denominator <= 0:
        return ZERO
    scaled = Decimal(numerator) * HUNDRED
    for tier in item.tiers:
        if scaled < tier.below * denominator:
            return tier.points
    return ZERO


def tiered_rate(item: Item, view: UnitView, win: Window) -> ItemOutcome:
    h = Horizon(win)
    if not (h.after_start(item.starts) and h.after_deadline(item.deadline)):
        return _outcome(ZERO, (), h)
    rate: Rate | None = _observe(item, view, win, h, findings.latest_rate)
    if rate is None:
        return _outcome(ZERO, (), h)
    points = tier_points(item, rate.numerator, rate.denominator)
    return _outcome(points, _causes([rate.causes]) if points else (), h)


def deadline_batch(item: Item, view: UnitView, win: Window) -> ItemOutcome:
    """§5: base + missing while incomplete after the deadline day (B1.1: overdue points from
    deadline + N months); once completed late, base up to the completion month, then 0."""
    h = Horizon(win)
    if not h.after_start(item.starts):
        return _outcome(ZERO, (), h)
    total, causes = ZERO, []
    for batch in _observe(item, view, win, h, lambda *_: Seen([])):
        points = _batch_points(item, view, win, h, batch)
        if points:
            total += points
            causes.append((batch.stamp[1],))
    return _outcome(total, _causes(causes) if total else (), h)


def _batch_points(item: Item, view: UnitView, win: Window, h: Horizon, batch: Batch) -> Decimal:
    """One batch's points under deadline_batch (zero: not yet judged, on time, or clean again)."""
    assert item.per_missing is not None
    facts = view.catalog
    due = date_end(batch.deadline)
    h.watch(due)
    if win.t <= due or completion(facts, batch.codes, due - 1) is not None:
        return ZERO  # not yet judged, or mounted on time
    done = completion(facts, batch.codes, win.last)
    if done is None:
        missing = sum(1 for c in batch.codes if facts.mounted.get(c, (win.last + 1,))[0] > win.last)
        points = item.points + item.per_missing * missing
        if item.overdue_points is not None and item.overdue_after_months is not None:
            overdue = add_months(due, item.overdue_after_months)
            h.watch(overdue)
            if win.t >= overdue:
                points = item.overdue_points
        return points
    if done >= win.start:  # completed late within this month (or, live, before T)
        return item.points
    return ZERO  # completed in an earlier month: clean


def size_points(item: Item, size: int | None) -> Decimal:
    if item.size_steps is not None:
        steps = item.size_steps
        if size is None or size < steps.at_least:
            return ZERO
        return min(item.points, steps.points + steps.add * ((size - steps.at_least) // steps.every))
    if item.size_tiers:
        for tier in item.size_tiers:
            if size is not None and size >= tier.at_least:
                return tier.points
        return ZERO
    return item.points


def _first(found: Achievement | list[Achievement] | None) -> Achievement | None:
    if isinstance(found, list):
        return found[0] if found else None
    return found


def achievement(item: Item, view: UnitView, win: Window) -> ItemOutcome:
    """Earned in every month whose T is at or after the first achievement, if that was on time."""
    h = Horizon(win)
    first = _first(_observe(item, view, win, h, findings.achievements))
    if first is not None:
        h.watch(first.t)
    if first is None or first.t > win.last:
        return _outcome(ZERO, (), h)
    if item.deadline is not None and first.t >= date_end(item.deadline):
        return _outcome(ZERO, (), h)  # achieved late: never earned
    points = size_points(item, first.size)
    return _outcome(points, first.causes if points else (), h)


def achievement_count(item: Item, view: UnitView, win: Window) -> ItemOutcome:
    """points_each per achievement so far, at most the item's points (E1.5: +2 each, at most 6)."""
    assert item.points_each is not None
    h = Horizon(win)
    found: list[Achievement] = _observe(item, view, win, h, findings.achievements)
    deadline = date_end(item.deadline) if item.deadline is not None else None
    for a in found:
        h.watch(a.t)
    counted = [a for a in found if a.t <= win.last and (deadline is None or a.t < deadline)]
    n = sum(a.count for a in counted)
    if n <= 0:
        return _outcome(ZERO, (), h)
    return _outcome(min(item.points_each * n, item.points), _causes(a.causes for a in counted), h)


def _causes(groups: Any) -> tuple[EventId, ...]:
    return tuple(sorted({c for g in groups for c in g}))


EVALUATORS: dict[str, Callable[[Item, UnitView, Window], ItemOutcome]] = {
    "flag": flag,
    "occurrence": occurrence,
    "tiered_rate": tiered_rate,
    "deadline_batch": deadline_batch,
    "achievement": achievement,
    "achievement_count": achievement_count,
}


def _has_findings(item: Item, view: UnitView) -> bool:
    """Whether any inspector's finding about `item` can reach this unit (its own, attributed to
    it, or, for a city's parent_city flags, one of its counties'): without one an insp item of
    any kind observes nothing and scores nothing."""
    if item.id in view.findings.items:
        return True
    if item.attribution == "parent_city" and view.kind == "city":
        store = view.store
        return any(item.id in store.facts(c).findings.items for c in view.directory.counties_of(view.unit))
    return False


def evaluate_item(item: Item, view: UnitView, win: Window) -> ItemOutcome:
    """One item's points and causes for a unit at a window (the item applies to the unit)."""
    if item.metric is None and not _has_findings(item, view):
        return NOTHING
    return EVALUATORS[item.kind](item, view, win)
