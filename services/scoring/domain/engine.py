"""The monthly score (SCORING-RULES.md §1): capped deductions per indicator, the M/N base for
absent indicators, the Y gate on the published X, ALL = X + Y, band and list."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from uuid import UUID

from scoring.domain.clock import Instant, to_instant
from scoring.domain.facts import Directory, EventId, FactStore
from scoring.domain.kinds import ZERO, ItemOutcome, evaluate_item
from scoring.domain.memo import Memo
from scoring.domain.result import MonthResult, UnitResult, round_half_up
from scoring.domain.ruleset import Indicator, Item, Ruleset
from scoring.domain.window import UnitView, Window

Outcomes = Callable[[Item], ItemOutcome]
CENTS_ZERO = ZERO.quantize(Decimal("0.01"))


class NotScored(ValueError):
    """The unit is not a registered department or city."""


@dataclass(frozen=True, slots=True)
class Plan:
    """What scoring a unit of one kind with some absent indicators adds up: the indicators not
    skipped, each with the items that apply to the kind, and the M of the M/N base."""

    absent: frozenset[str]
    deductions: tuple[tuple[Indicator, tuple[Item, ...]], ...]
    bonuses: tuple[tuple[Indicator, tuple[Item, ...]], ...]
    base: Decimal  # deduction total less the points of the absent indicators
    items: tuple[Item, ...]  # every item the two parts may ask about


def plan_for(ruleset: Ruleset, kind: str, absent_indicators: frozenset[str]) -> Plan:
    """Only absent-able indicators can be absent; a bonus indicator tied to an absent one goes too."""
    absent = frozenset(absent_indicators) & ruleset.absent_able
    key = (id(ruleset), kind, absent)
    cached = _PLANS.get(key)
    if cached is not None and cached[0] is ruleset:
        return cached[1]

    def part(indicators: tuple[Indicator, ...]) -> tuple[tuple[Indicator, tuple[Item, ...]], ...]:
        return tuple(
            (ind, tuple(item for item in ind.items if kind in item.applies_to))
            for ind in indicators
            if ind.id not in absent and ind.tied_to not in absent
        )

    base = ruleset.outcome.deduction_total - sum((i.points for i in ruleset.indicators if i.id in absent), ZERO)
    deductions, bonuses = part(ruleset.deductions), part(ruleset.bonuses)
    items = tuple(item for _, part_items in (*deductions, *bonuses) for item in part_items)
    plan = Plan(absent, deductions, bonuses, base, items)
    _PLANS[key] = (ruleset, plan)  # the ruleset is kept alive with its plans, so its id is not reused
    return plan


_PLANS: dict[tuple[int, str, frozenset[str]], tuple[Ruleset, Plan]] = {}


def _part(
    indicators: tuple[tuple[Indicator, tuple[Item, ...]], ...], outcome: Outcomes
) -> tuple[Decimal, dict[str, Decimal], dict[str, Decimal], dict[str, tuple[EventId, ...]]]:
    """Sum of capped indicator points, raw item points, capped indicator points, causes."""
    total, items, capped, causes = ZERO, {}, {}, {}
    for ind, ind_items in indicators:
        raw = ZERO
        for item in ind_items:
            out = outcome(item)
            if out.points:
                items[item.id] = out.points
                causes[item.id] = out.causes
                raw += out.points
        if raw:
            capped[ind.id] = min(raw, ind.points)
            total += capped[ind.id]
    return total, items, capped, causes


@lru_cache(maxsize=4096)
def _x(base: Decimal, deducted: Decimal, deduction_total: Decimal) -> Decimal:
    """X on the M/N base: (M - deducted) x N / M, rounded half up (exact)."""
    return round_half_up(Fraction(base - deducted) * Fraction(deduction_total) / Fraction(base))


@lru_cache(maxsize=4096)
def _y(bonus: Decimal, bonus_total: Decimal) -> Decimal:
    return round_half_up(min(bonus, bonus_total))


def causes_text(item_id: str, ids: tuple[EventId, ...]) -> tuple[str, ...]:
    """An item's causes as UUID text."""
    return tuple(map(event_text, ids))


@lru_cache(maxsize=1 << 14)
def event_text(event_id: EventId) -> str:
    return str(UUID(int=event_id))


def assemble(
    ruleset: Ruleset, plan: Plan, unit: str, month: str, t: Instant, outcome: Outcomes,
    text: Callable[[str, tuple[EventId, ...]], tuple[str, ...]] = causes_text,
) -> UnitResult:
    """The unit's result from its items' outcomes (bonus items are only asked for above the Y gate);
    `text` renders an item's cause ids (the live scorer remembers what it rendered)."""
    out = ruleset.outcome
    deducted, items, capped, causes = _part(plan.deductions, outcome)
    x = _x(plan.base, deducted, out.deduction_total)
    y = CENTS_ZERO
    if x >= out.y_gate:  # below the gate Y is not scored at all
        bonus, b_items, b_capped, b_causes = _part(plan.bonuses, outcome)
        y = _y(bonus, out.bonus_total)
        items |= b_items
        capped |= b_capped
        causes |= b_causes
    total = x + y
    return UnitResult(
        unit=unit,
        month=month,
        as_of=t,
        ruleset_id=ruleset.id,
        ruleset_version=ruleset.version,
        x=x,
        y=y,
        total=total,
        band=out.band(total),
        listing=out.listing(total),
        items=items,
        indicators=capped,
        causes={item: text(item, ids) for item, ids in causes.items()},
        absent=tuple(sorted(plan.absent)),
    )


def evaluate_unit(
    ruleset: Ruleset, directory: Directory, facts: FactStore, unit: str, month: str, as_of: datetime | Instant,
    memo: Memo | None = None,
) -> UnitResult:
    """One unit's score for `month` as of instant `as_of` (clamped to the month's end)."""
    reg = directory.scored(unit, month)
    if reg is None:
        raise NotScored(f"{unit} is not a registered department or city checked in {month}")
    win = Window.of(month, _instant(as_of))
    view = UnitView(unit, reg.kind, facts.facts(unit), facts, memo if memo is not None else Memo())
    plan = plan_for(ruleset, reg.kind, reg.absent_indicators)
    return assemble(ruleset, plan, unit, month, win.t, lambda item: evaluate_item(item, view, win))


def evaluate(
    ruleset: Ruleset, directory: Directory, facts: FactStore, month: str, as_of: datetime | Instant
) -> MonthResult:
    """Every registered department and city checked in the month (not exempt), sorted by unit code."""
    return month_result(ruleset, month, as_of, tuple(evaluating(ruleset, directory, facts, month, as_of)))


def evaluating(
    ruleset: Ruleset, directory: Directory, facts: FactStore, month: str, as_of: datetime | Instant,
    only: Callable[[str], bool] | None = None,
) -> Iterator[UnitResult]:
    """`evaluate`'s units one at a time, in its order (a caller may let other work run in between); `only`:
    those of them it accepts (a shard's own)."""
    t, memo = _instant(as_of), Memo()
    for unit in directory.scored_units(month):
        if only is None or only(unit):
            yield evaluate_unit(ruleset, directory, facts, unit, month, t, memo)


def month_result(ruleset: Ruleset, month: str, as_of: datetime | Instant, units: tuple[UnitResult, ...]) -> MonthResult:
    """The month's result of units `evaluating` gave, all of them."""
    return MonthResult(ruleset.id, ruleset.version, month, Window.of(month, _instant(as_of)).t, units)


def _instant(as_of: datetime | Instant) -> Instant:
    return to_instant(as_of) if isinstance(as_of, datetime) else as_of
