"""The monthly score (SCORING-RULES.md §1): capped deductions per indicator, the M/N base for
absent indicators, the Y gate on the published X, ALL = X + Y, band and list."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from uuid import UUID

from scoring.domain.clock import Instant, to_instant
from scoring.domain.facts import Directory, EventId, FactStore
from scoring.domain.kinds import EVALUATORS, ZERO
from scoring.domain.result import MonthResult, UnitResult, round_half_up
from scoring.domain.ruleset import Indicator, Ruleset
from scoring.domain.window import UnitView, Window


class NotScored(ValueError):
    """The unit is not a registered department or city."""


def _part(
    indicators: tuple[Indicator, ...], skip: frozenset[str], view: UnitView, win: Window
) -> tuple[Decimal, dict[str, Decimal], dict[str, Decimal], dict[str, tuple[EventId, ...]]]:
    """Sum of capped indicator points, raw item points, capped indicator points, causes."""
    total, items, capped, causes = ZERO, {}, {}, {}
    for ind in indicators:
        if ind.id in skip or ind.tied_to in skip:
            continue
        raw = ZERO
        for item in ind.items:
            if view.kind not in item.applies_to:
                continue
            out = EVALUATORS[item.kind](item, view, win)
            if out.points:
                items[item.id] = out.points
                causes[item.id] = out.causes
                raw += out.points
        if raw:
            capped[ind.id] = min(raw, ind.points)
            total += capped[ind.id]
    return total, items, capped, causes


def evaluate_unit(
    ruleset: Ruleset, directory: Directory, facts: FactStore, unit: str, month: str, as_of: datetime | Instant
) -> UnitResult:
    """One unit's score for `month` as of instant `as_of` (clamped to the month's end)."""
    reg = directory.get(unit)
    if reg is None or reg.kind not in ("department", "city"):
        raise NotScored(f"{unit} is not a registered department or city")
    win = Window.of(month, _instant(as_of))
    view = UnitView(unit, reg.kind, facts.facts(unit), facts)
    absent = frozenset(reg.absent_indicators) & ruleset.absent_able
    out = ruleset.outcome

    deducted, items, capped, causes = _part(ruleset.deductions, absent, view, win)
    base = out.deduction_total - sum((i.points for i in ruleset.indicators if i.id in absent), ZERO)
    x = round_half_up(Fraction(base - deducted) * Fraction(out.deduction_total) / Fraction(base))
    y = ZERO.quantize(Decimal("0.01"))
    if x >= out.y_gate:  # below the gate Y is not scored at all
        bonus, b_items, b_capped, b_causes = _part(ruleset.bonuses, absent, view, win)
        y = round_half_up(min(bonus, out.bonus_total))
        items |= b_items
        capped |= b_capped
        causes |= b_causes
    total = x + y
    return UnitResult(
        unit=unit,
        month=month,
        as_of=win.t,
        ruleset_id=ruleset.id,
        ruleset_version=ruleset.version,
        x=x,
        y=y,
        total=total,
        band=out.band(total),
        listing=out.listing(total),
        items=items,
        indicators=capped,
        causes={item: tuple(str(UUID(int=c)) for c in ids) for item, ids in causes.items()},
        absent=tuple(sorted(absent)),
    )


def evaluate(
    ruleset: Ruleset, directory: Directory, facts: FactStore, month: str, as_of: datetime | Instant
) -> MonthResult:
    """Every registered department and city, sorted by unit code."""
    t = _instant(as_of)
    units = tuple(evaluate_unit(ruleset, directory, facts, unit, month, t) for unit in directory.scored_units())
    return MonthResult(ruleset.id, ruleset.version, month, Window.of(month, t).t, units)


def _instant(as_of: datetime | Instant) -> Instant:
    return to_instant(as_of) if isinstance(as_of, datetime) else as_of
