"""The slice of time one monthly evaluation looks at, and the observation shapes kinds consume."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from scoring.domain.clock import Instant, date_end, date_start, month_bounds
from scoring.domain.facts import Directory, EventId, FactStore, UnitFacts

NEVER: Instant = 2**63  # a horizon no watermark reaches


@dataclass(frozen=True, slots=True)
class Window:
    """Month [start, end) in Asia/Shanghai evaluated as of `t` (clamped to the month end).

    `last` is the latest instant whose events are visible: the state at T includes events at T,
    and a closed month (T = end) sees everything strictly before the next month.

    `horizon` is for the live projection: evaluators `watch` every instant they compare T
    with that is not the time of a fact they read (deadlines, staleness, start dates, ...).
    Every fact is at or before the watermark, so with the same facts nothing an evaluator
    decides can change while T stays below the earliest watched instant after it.
    """

    month: str
    start: Instant
    end: Instant
    t: Instant
    last: Instant
    horizon: list[Instant] = field(default_factory=lambda: [NEVER], compare=False, repr=False)

    @classmethod
    def of(cls, month: str, as_of: Instant) -> Window:
        start, end = month_bounds(month)
        t = min(as_of, end)
        return cls(month, start, end, t, min(t, end - 1))

    def watch(self, x: Instant) -> None:
        """A decision compares T with x: it may differ for any T' >= x (or T + 1 when x is T)."""
        t = self.t
        if x >= t:
            at = x if x > t else t + 1
            if at < self.horizon[0]:
                self.horizon[0] = at

    def after_start(self, starts: date | None) -> bool:
        """'From date D': applies only when T is later than D 00:00."""
        if starts is None:
            return True
        at = date_start(starts)
        self.watch(at)
        return self.t > at

    def after_deadline(self, deadline: date | None) -> bool:
        """'By deadline D': judged only when T is later than the end of day D."""
        if deadline is None:
            return True
        at = date_end(deadline)
        self.watch(at)
        return self.t > at


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
