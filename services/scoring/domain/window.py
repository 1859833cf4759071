"""The slice of time one monthly evaluation looks at, what an evaluator may read, and the
observation shapes kinds consume."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Generic, TypeVar

from scoring.domain.clock import Instant, date_end, date_start, month_bounds
from scoring.domain.facts import (
    CatalogFacts,
    Directory,
    ElicenseFacts,
    EventId,
    ExchangeFacts,
    FactStore,
    FindingFacts,
    UnitFacts,
)
from scoring.domain.memo import Memo

NEVER: Instant = 2**63  # a horizon no watermark reaches
T = TypeVar("T")


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
    last: Instant

    @classmethod
    def of(cls, month: str, as_of: Instant) -> Window:
        start, end = month_bounds(month)
        t = min(as_of, end)
        return cls(month, start, end, t, min(t, end - 1))


class Horizon:
    """What one evaluation compared T with: the earliest instant after T at which a decision it
    took may differ (NEVER: none). Every fact is at or before the watermark, so with the same
    facts nothing the evaluation decided can change while T stays below it. The live projection
    re-evaluates an item only once T reaches the horizon its last outcome returned."""

    __slots__ = ("at", "t")

    def __init__(self, win: Window) -> None:
        self.t, self.at = win.t, NEVER

    def watch(self, x: Instant) -> None:
        """A decision compares T with x: it may differ for any T' >= x (or T + 1 when x is T)."""
        t = self.t
        if x >= t:
            at = x if x > t else t + 1
            if at < self.at:
                self.at = at

    def watch_all(self, xs: tuple[Instant, ...]) -> None:
        for x in xs:
            self.watch(x)

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
class Seen(Generic[T]):
    """What a metric observed, with the instants it compared T with that are not the times of what
    it returns (a deadline not yet reached, the end of an update period, ...)."""

    value: T
    watched: tuple[Instant, ...] = ()


@dataclass(frozen=True, slots=True)
class UnitView:
    """What an evaluator may read for one unit: its facts, the store for related units, and the
    scorer's memo of what it derived from facts before."""

    unit: str
    kind: str
    facts: UnitFacts
    store: FactStore
    memo: Memo = field(default_factory=Memo, compare=False)

    @property
    def directory(self) -> Directory:
        return self.store.directory

    @property
    def catalog(self) -> CatalogFacts:
        return self.facts.catalog

    @property
    def exchange(self) -> ExchangeFacts:
        return self.facts.exchange

    @property
    def elicense(self) -> ElicenseFacts:
        return self.facts.elicense

    @property
    def findings(self) -> FindingFacts:
        return self.facts.findings


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
