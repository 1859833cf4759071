"""Live scores without re-evaluating what cannot have changed.

`IncrementalScorer.evaluate(unit, month, t)` returns exactly `engine.evaluate_unit` of the
same store at the same instant; it keeps, per (unit, month), every item's outcome and re-evaluates
an item only when

- a channel it reads (dependencies.py) changed for the unit since it was evaluated, or
- T reached the item's horizon (ItemOutcome.until): the earliest instant the evaluation compared
  T with that was still ahead (a deadline, a staleness limit, a start date, ...). Every fact is
  at or before the watermark, so until then every decision the evaluator took stays the same, or
- the month ended since (T clamped to the month's end: everything is evaluated once more).

Only the live projection uses it: T only moves forward and every folded fact is at or before
it. Changed outcomes are assembled by the engine's own `assemble`, so the arithmetic is shared.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from scoring.domain.clock import Instant
from scoring.domain.dependencies import MONTH_CHANNELS, REGISTRY, item_channels
from scoring.domain.engine import NotScored, Plan, assemble, causes_text, plan_for
from scoring.domain.facts import EventId, FactStore, Registration
from scoring.domain.kinds import ItemOutcome, evaluate_item
from scoring.domain.memo import Memo
from scoring.domain.result import UnitResult
from scoring.domain.ruleset import Ruleset
from scoring.domain.window import NEVER, UnitView, Window


class _Entry:
    __slots__ = ("horizon", "outcomes", "plan", "reg", "result", "stamp", "t", "texts", "until")

    def __init__(
        self,
        reg: Registration,
        plan: Plan,
        t: Instant,
        stamp: int,
        outcomes: dict[str, ItemOutcome],
        until: dict[str, Instant],
    ) -> None:
        self.reg, self.plan, self.t, self.stamp = reg, plan, t, stamp
        self.outcomes, self.until = outcomes, until
        self.result: UnitResult
        self.horizon = min(until.values(), default=NEVER)
        self.texts: dict[str, tuple[tuple[EventId, ...], tuple[str, ...]]] = {}  # item -> causes, as text

    def text(self, item_id: str, ids: tuple[EventId, ...]) -> tuple[str, ...]:
        """An item's causes as UUID text, rendered again only when they changed."""
        known = self.texts.get(item_id)
        if known is not None and (known[0] is ids or known[0] == ids):
            return known[1]
        text = causes_text(item_id, ids)
        self.texts[item_id] = (ids, text)
        return text


class IncrementalScorer:
    def __init__(self, ruleset: Ruleset, store: FactStore) -> None:
        self.ruleset, self.store = ruleset, store
        self.memo = Memo()  # what evaluations derived from facts, kept across them
        self.tick = 0  # counts folds that changed something
        self._changed: dict[str, dict[str, int]] = {}  # unit -> channel -> tick of its last change
        self._changed_in: dict[tuple[str, str], dict[str, int]] = {}  # (unit, month) -> MONTH_CHANNELS ->
        self._latest: dict[str, int] = {}  # unit -> tick of its last change
        self._entries: dict[tuple[str, str], _Entry] = {}
        readers: dict[str, list[str]] = {}
        for item in ruleset.items.values():
            for channel in item_channels(item):
                readers.setdefault(channel, []).append(item.id)
        self._readers = {channel: tuple(ids) for channel, ids in readers.items()}

    def changed(self, units: Iterable[str], channels: tuple[str, ...], month: str) -> None:
        """A fold of an event of `month` changed these channels of these units."""
        self.tick += 1
        tick = self.tick
        for unit in units:
            marks = self._changed.get(unit)
            if marks is None:
                marks = self._changed[unit] = {}
            for channel in channels:
                if channel in MONTH_CHANNELS:
                    self._changed_in.setdefault((unit, month), {})[channel] = tick
                else:
                    marks[channel] = tick
            self._latest[unit] = tick

    def evaluate(self, unit: str, month: str, as_of: Instant) -> UnitResult:
        reg = self.store.directory.scored(unit, month)
        if reg is None:
            raise NotScored(f"{unit} is not a registered department or city checked in {month}")
        win = Window.of(month, as_of)
        entry = self._entries.get((unit, month))
        if entry is None or entry.reg is not reg or win.t < entry.t or (entry.t < win.end and win.t >= win.end):
            return self._full(unit, month, reg, win)
        dirty = self._dirty(entry, unit, month)
        if dirty is None:
            return self._full(unit, month, reg, win)
        t = win.t
        if t != entry.t and t >= entry.horizon:
            dirty.update(item for item, at in entry.until.items() if at <= t)
        entry.stamp = self.tick
        moved = self._reevaluate(entry, dirty, UnitView(unit, reg.kind, self.store.facts(unit), self.store, self.memo),
                                 win) if dirty else False
        entry.t = t
        if moved:
            entry.result = self._assemble(entry, unit, month, t)
        elif entry.result.as_of != t:
            entry.result = replace(entry.result, as_of=t)
        return entry.result

    def _dirty(self, entry: _Entry, unit: str, month: str) -> set[str] | None:
        """The items whose channels changed for the unit since the entry was evaluated (None: the
        registration changed, so everything must be evaluated again)."""
        dirty: set[str] = set()
        if self._latest.get(unit, 0) <= entry.stamp:
            return dirty
        for channel, tick in self._changed[unit].items():
            if tick > entry.stamp:
                if channel == REGISTRY:
                    return None
                dirty.update(self._readers.get(channel, ()))
        for channel, tick in self._changed_in.get((unit, month), {}).items():
            if tick > entry.stamp:
                dirty.update(self._readers.get(channel, ()))
        return dirty

    def _reevaluate(self, entry: _Entry, dirty: set[str], view: UnitView, win: Window) -> bool:
        """Evaluate the dirty items again, keeping their horizons; whether any outcome moved."""
        outcomes, until, items = entry.outcomes, entry.until, self.ruleset.items
        moved = False
        for item_id in dirty:
            old = outcomes.get(item_id)
            if old is None:
                continue  # not scored for this unit (kind, absent indicator)
            new = evaluate_item(items[item_id], view, win)
            if new.until != NEVER:
                until[item_id] = new.until
            else:
                until.pop(item_id, None)
            if new != old:
                outcomes[item_id] = new
                moved = True
        entry.horizon = min(until.values(), default=NEVER)
        return moved

    def _full(self, unit: str, month: str, reg: Registration, win: Window) -> UnitResult:
        plan = plan_for(self.ruleset, reg.kind, reg.absent_indicators)
        view = UnitView(unit, reg.kind, self.store.facts(unit), self.store, self.memo)
        outcomes: dict[str, ItemOutcome] = {}
        until: dict[str, Instant] = {}
        for item in plan.items:
            outcome = outcomes[item.id] = evaluate_item(item, view, win)
            if outcome.until != NEVER:
                until[item.id] = outcome.until
        old = self._entries.get((unit, month))
        entry = self._entries[(unit, month)] = _Entry(reg, plan, win.t, self.tick, outcomes, until)
        if old is not None:
            entry.texts = old.texts
        entry.result = self._assemble(entry, unit, month, win.t)
        return entry.result

    def _assemble(self, entry: _Entry, unit: str, month: str, t: Instant) -> UnitResult:
        outcomes = entry.outcomes
        return assemble(self.ruleset, entry.plan, unit, month, t, lambda item: outcomes[item.id], entry.text)
