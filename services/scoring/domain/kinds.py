"""One evaluator per item kind. An item's observations come from inspectors' findings (source
insp) or from the metric the ruleset names; the kind decides the points."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from scoring.domain import findings
from scoring.domain.clock import add_months, date_end, date_start
from scoring.domain.facts import EventId
from scoring.domain.metrics import METRICS, completion
from scoring.domain.ruleset import Item
from scoring.domain.window import Achievement, Interval, Occurrence, Rate, UnitView, Window

ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    points: Decimal  # before the indicator cap
    causes: tuple[EventId, ...]


NOTHING = ItemOutcome(ZERO, ())


def _observe(item: Item, view: UnitView, win: Window, from_findings: Callable[..., Any]) -> Any:
    if item.metric is None:
        return from_findings(view, item, win)
    return METRICS[item.metric](view, item, win)


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
    if not (win.after_start(item.starts) and win.after_deadline(item.deadline)):
        return NOTHING
    lo, hi = _lower_bound(item, win), win.last
    spans: list[Interval] = _observe(item, view, win, findings.flag_intervals)
    for s in spans:
        win.watch(s.start)
    held = [s for s in spans if s.start <= hi and (s.end is None or s.end > lo) and s.start < win.end]
    if not held:
        return NOTHING
    full = any(not s.reduced for s in held) or item.reduced_points is None
    points = item.points if full else item.reduced_points
    assert points is not None
    return ItemOutcome(points, _causes(s.causes for s in held))


def occurrence(item: Item, view: UnitView, win: Window) -> ItemOutcome:
    """Points x count for each occurrence in the month (event time), from the start date on."""
    lo, hi = _lower_bound(item, win), win.last
    total, causes = ZERO, []
    occs: list[Occurrence] = _observe(item, view, win, findings.occurrences)
    for occ in occs:
        win.watch(occ.t)
        if lo <= occ.t <= hi and occ.count > 0:
            total += (item.points if occ.points is None else occ.points) * occ.count
            causes.append(occ.causes)
    return ItemOutcome(total, _causes(causes)) if total else NOTHING


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
    if not (win.after_start(item.starts) and win.after_deadline(item.deadline)):
        return NOTHING
    rate: Rate | None = _observe(item, view, win, findings.latest_rate)
    if rate is None:
        return NOTHING
    points = tier_points(item, rate.numerator, rate.denominator)
    return ItemOutcome(points, _causes([rate.causes])) if points else NOTHING


def deadline_batch(item: Item, view: UnitView, win: Window) -> ItemOutcome:
    """§5: base + missing while incomplete after the deadline day (B1.1: overdue points from
    deadline + N months); once completed late, base up to the completion month, then 0."""
    if not win.after_start(item.starts):
        return NOTHING
    assert item.per_missing is not None
    total, causes = ZERO, []
    for batch in _observe(item, view, win, lambda *_: []):
        due = date_end(batch.deadline)
        win.watch(due)
        if win.t <= due or completion(view.facts, batch.codes, due - 1) is not None:
            continue  # not yet judged, or mounted on time
        done = completion(view.facts, batch.codes, win.last)
        if done is None:
            missing = sum(1 for c in batch.codes if view.facts.mounted.get(c, (win.last + 1,))[0] > win.last)
            points = item.points + item.per_missing * missing
            if item.overdue_points is not None and item.overdue_after_months is not None:
                overdue = add_months(due, item.overdue_after_months)
                win.watch(overdue)
                if win.t >= overdue:
                    points = item.overdue_points
        elif done >= win.start:  # completed late within this month (or, live, before T)
            points = item.points
        else:
            continue  # completed in an earlier month: clean
        total += points
        causes.append((batch.stamp[1],))
    return ItemOutcome(total, _causes(causes)) if total else NOTHING


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
    first = _first(_observe(item, view, win, findings.achievements))
    if first is not None:
        win.watch(first.t)
    if first is None or first.t > win.last:
        return NOTHING
    if item.deadline is not None and first.t >= date_end(item.deadline):
        return NOTHING  # achieved late: never earned
    points = size_points(item, first.size)
    return ItemOutcome(points, first.causes) if points else NOTHING


def achievement_count(item: Item, view: UnitView, win: Window) -> ItemOutcome:
    """points_each per achievement so far, at most the item's points (E1.5: +2 each, at most 6)."""
    assert item.points_each is not None
    found: list[Achievement] = _observe(item, view, win, findings.achievements)
    deadline = date_end(item.deadline) if item.deadline is not None else None
    for a in found:
        win.watch(a.t)
    counted = [a for a in found if a.t <= win.last and (deadline is None or a.t < deadline)]
    n = sum(a.count for a in counted)
    if n <= 0:
        return NOTHING
    return ItemOutcome(min(item.points_each * n, item.points), _causes(a.causes for a in counted))


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
    if item.id in view.facts.finding_items:
        return True
    if item.attribution == "parent_city" and view.kind == "city":
        store = view.store
        return any(item.id in store.facts(c).finding_items for c in view.directory.counties_of(view.unit))
    return False


def evaluate_item(item: Item, view: UnitView, win: Window) -> ItemOutcome:
    """One item's points and causes for a unit at a window (the item applies to the unit)."""
    if item.metric is None and not _has_findings(item, view):
        return NOTHING
    return EVALUATORS[item.kind](item, view, win)
