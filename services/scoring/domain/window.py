"""The slice of time one monthly evaluation looks at, and the observation shapes kinds consume."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from scoring.domain.clock import Instant, date_end, date_start, month_bounds
from scoring.domain.facts import Directory, EventId, FactStore, UnitFacts


@dataclass(frozen=True, slots=True)
class Window:
    """Month [start, end) in Asia/Shanghai evaluated as of `t` (clamped to the month end).

    `last` is the latest instant whose events are visible: the state at T includes events at T,
    and a closed month (T = end) sees everything strictly before the next month.
    """

    month: str
    start: Instant
    end: Instant
    t: Instant

    @classmethod
    def of(cls, month: str, as_of: Instant) -> Window:
        start, end = month_bounds(month)
        return cls(month, start, end, min(as_of, end))

    @property
    def last(self) -> Instant:
        return min(self.t, self.end - 1)

    def after_start(self, starts: date | None) -> bool:
        """'From date D': applies only when T is later than D 00:00."""
        return starts is None or self.t > date_start(starts)

    def after_deadline(self, deadline: date | None) -> bool:
        """'By deadline D': judged only when T is later than the end of day D."""
        return deadline is None or self.t > date_end(deadline)


@dataclass(frozen=True, slots=True)
class UnitView:
    """What an evaluator may read for one unit: its facts, and the store for related units."""

    unit: str
    kind: str
    facts: UnitFacts
    store: FactStore

    @property
    def directory(self) -> Directory:
        return self.store.directory


@dataclass(frozen=True, slots=True)
class Interval:
    """A flag held on [start, end) (end None: still holding)."""

    start: Instant
    end: Instant | None
    reduced: bool
    causes: tuple[EventId, ...]


@dataclass(frozen=True, slots=True)
class Occurrence:
    t: Instant
    count: int
    points: Decimal | None  # None: the item's points
    causes: tuple[EventId, ...]


@dataclass(frozen=True, slots=True)
class Rate:
    numerator: int
    denominator: int
    causes: tuple[EventId, ...]


@dataclass(frozen=True, slots=True)
class Achievement:
    t: Instant
    size: int | None
    count: int
    causes: tuple[EventId, ...]
