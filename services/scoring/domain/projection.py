"""The live projection: facts folded as they arrive, scores re-evaluated at the watermark.

No I/O. The messaging layer feeds batches of decoded envelopes and persists what
`refresh` reports; the same inputs always give the same outputs (event time only).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from scoring.domain.clock import Instant, month_of, shift_month, to_instant
from scoring.domain.engine import evaluate_unit
from scoring.domain.facts import EnvelopeLike, FactStore
from scoring.domain.result import UnitResult
from scoring.domain.ruleset import Ruleset


@dataclass(frozen=True, slots=True)
class Change:
    unit: str
    month: str
    before: UnitResult | None
    after: UnitResult

    @property
    def score_moved(self) -> bool:
        b = self.before
        return b is None or (b.x, b.y, b.total, b.band, b.listing) != (
            self.after.x,
            self.after.y,
            self.after.total,
            self.after.band,
            self.after.listing,
        )

    def grown_deductions(self, deduction_items: frozenset[str]) -> list[tuple[str, Decimal, tuple[str, ...]]]:
        """(item, points added, new cause ids) for every deduction item that grew."""
        grown = []
        old_items = self.before.items if self.before else {}
        old_causes = self.before.causes if self.before else {}
        for item, points in self.after.items.items():
            if item not in deduction_items:
                continue
            added = points - old_items.get(item, Decimal(0))
            if added > 0:
                seen = set(old_causes.get(item, ()))
                fresh = tuple(c for c in self.after.causes.get(item, ()) if c not in seen)
                grown.append((item, added, fresh or self.after.causes.get(item, ())))
        return grown


class Projection:
    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self.store = FactStore()
        self.watermark: Instant | None = None
        self.earliest: Instant | None = None
        self.published: dict[tuple[str, str], UnitResult] = {}
        self.deduction_items = frozenset(item.id for indicator in ruleset.deductions for item in indicator.items)

    def fold(self, envelopes: Iterable[EnvelopeLike]) -> set[tuple[str, str]]:
        """Fold new facts; returns the (unit, month) pairs they may change."""
        touched: set[tuple[str, str]] = set()
        for env in envelopes:
            t = to_instant(env.occurred_at)
            units = self.store.apply(env)
            if units:
                month = month_of(t)
                touched.update((u, month) for u in units)
            if self.watermark is None or t > self.watermark:
                self.watermark = t
            if self.earliest is None or t < self.earliest:
                self.earliest = t
        return touched

    def months_to_sweep(self, previous_watermark: Instant | None) -> list[str]:
        """When the watermark moves every unit's score may move (deadlines, staleness): the
        current month, and every month the watermark just left, which ends there (on the first
        move: every month since the earliest event, so each unit has a score for each month)."""
        if self.watermark is None or self.watermark == previous_watermark:
            return []
        current = month_of(self.watermark)
        start = previous_watermark if previous_watermark is not None else self.earliest
        months = [current]
        month = month_of(start) if start is not None else current
        while month < current:
            months.append(month)
            month = shift_month(month, 1)
        return months

    def refresh(self, touched: set[tuple[str, str]], sweep_months: Iterable[str] = ()) -> list[Change]:
        """Re-evaluate what may have changed at the watermark; return what did."""
        if self.watermark is None:
            return []
        current = month_of(self.watermark)
        # A fact counts in its own month and carries into every later one up to the current month
        # (a mount in July raises the mount rate in August; a flag holds until resolved).
        targets: set[tuple[str, str]] = set()
        for unit, month in touched:
            while month <= current:
                targets.add((unit, month))
                month = shift_month(month, 1)
        directory = self.store.directory
        for month in sweep_months:
            targets.update((unit, month) for unit in directory.scored_units())
        changes = []
        for unit, month in sorted(targets):
            reg = directory.get(unit)
            if reg is None or reg.kind not in ("department", "city"):
                continue
            result = evaluate_unit(self.ruleset, directory, self.store, unit, month, self.watermark)
            before = self.published.get((unit, month))
            if before != result:
                self.published[(unit, month)] = result
                changes.append(Change(unit, month, before, result))
        return changes
