"""The live projection: facts folded as they arrive, scores re-evaluated at the watermark.

No I/O. The messaging layer feeds batches of decoded envelopes and persists what
`refresh` reports; the same inputs always give the same outputs (event time only).
Which (unit, month) scores a batch re-evaluates is decided here; how much of each is
re-evaluated is the IncrementalScorer's business (only what its facts or T can have changed),
and its results equal engine.evaluate_unit's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from scoring.domain.clock import EPOCHS, ONE_US, Instant, day_start, epoch_in, month_of, shift_month, to_instant
from scoring.domain.dependencies import channels_of
from scoring.domain.facts import EnvelopeLike, FactStore
from scoring.domain.incremental import IncrementalScorer
from scoring.domain.result import UnitResult
from scoring.domain.ruleset import Ruleset


@dataclass(frozen=True, slots=True)
class Change:
    unit: str
    month: str
    before: UnitResult | None
    after: UnitResult
    # Only the as-of instant moved, and the stored row is known to hold `before`: storing the
    # change only needs the row's as_of (and position) updated.
    restamp: bool = False

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


# Facts that hold in every month, whatever their event time: the directory keeps a unit's latest
# registration (kind, absent indicators, county's city) and applies it to every month it scores, as
# replay does; a re-registration that arrives after later events must re-score the earlier months too.
TIMELESS = frozenset({"registry.unit-registered"})
Key = tuple[str, str]  # (unit, month)


class Projection:
    def __init__(self, ruleset: Ruleset, owns: Callable[[str], bool] | None = None) -> None:
        self.ruleset = ruleset
        # Which units this projection scores (one shard of several: scoring.domain.sharding); all when None.
        # It still folds every fact it is given: a unit's score may read another unit's facts.
        self.owns = owns
        self.store = FactStore()
        self.watermark: Instant | None = None
        self.earliest: Instant | None = None
        self.published: dict[tuple[str, str], UnitResult] = {}
        # keys whose stored row is known to equal `published` (see Change.restamp); the messaging
        # layer clears it when it rebuilds memory without storing what refresh reported
        self.stored: set[tuple[str, str]] = set()
        # results withdrawn since the messaging layer last took them: the unit is exempt from the checks
        # in that month now (registry.unit-registered with exempt_from)
        self.removed: set[tuple[str, str]] = set()
        self.scorer = IncrementalScorer(ruleset, self.store)
        self.deduction_items = frozenset(item.id for indicator in ruleset.deductions for item in indicator.items)

    def fold(self, envelopes: Iterable[EnvelopeLike],
             applied: list[tuple[EnvelopeLike, set[str]]] | None = None) -> set[tuple[str, str]]:
        """Fold new facts; returns the (unit, month) pairs they may change. `applied` (when given)
        receives each new event with the units whose scores it may change (what shards route by)."""
        apply = self.store.apply
        watermark, earliest = self.watermark, self.earliest
        # The scorer learns what changed once per (channels, month), not once per event: nothing is
        # evaluated in between, so the order of the marks within one fold does not matter.
        marks: dict[tuple[tuple[str, ...], str], set[str]] = {}
        for env in envelopes:
            at = env.occurred_at  # to_instant, inlined: this runs for every event
            t = (at - (EPOCHS.get(at.tzinfo) or epoch_in(at.tzinfo))) // ONE_US
            if watermark is None or t > watermark:
                watermark = t
            if earliest is None or t < earliest:
                earliest = t
            units = apply(env, t)
            if units:
                if applied is not None:
                    applied.append((env, units))
                moves = _moves_from(env, t)
                if env.type in TIMELESS:  # the latest registration counts in every month, whenever it was made
                    moves = earliest
                key = (channels_of(env.type, env.data), month_of(moves))
                marked = marks.get(key)
                if marked is None:
                    marks[key] = set(units)  # apply may hand back a set a handler keeps
                else:
                    marked |= units
        self.watermark, self.earliest = watermark, earliest
        touched: set[tuple[str, str]] = set()
        for (channels, month), units in marks.items():
            self.scorer.changed(units, channels, month)
            touched.update([(u, month) for u in units])
        return touched

    def months_to_sweep(self, previous_watermark: Instant | None,
                        previous_earliest: Instant | None = None) -> list[str]:
        """When the watermark moves every unit's score may move (deadlines, staleness): the
        current month, and every month the watermark just left, which ends there (on the first
        move: every month since the earliest event, so each unit has a score for each month).
        When the earliest event moves back (`previous_earliest` given: a late event, or a frame
        adopted from other shards) the months it moved over get every unit's score too."""
        if self.watermark is None:
            return []
        months: list[str] = []
        if self.watermark != previous_watermark:
            current = month_of(self.watermark)
            start = previous_watermark if previous_watermark is not None else self.earliest
            months.append(current)
            month = month_of(start) if start is not None else current
            while month < current:
                months.append(month)
                month = shift_month(month, 1)
        if previous_watermark is not None and previous_earliest is not None and self.earliest is not None:
            month, stop = month_of(self.earliest), month_of(previous_earliest)
            while month < stop:
                if month not in months:
                    months.append(month)
                month = shift_month(month, 1)
        return months

    def adopt(self, watermark: Instant | None, earliest: Instant | None) -> None:
        """Take on a time frame seen elsewhere (the other shards' events): the watermark moves on to
        `watermark` and the earliest back to `earliest`, where they are beyond this projection's own.
        The caller then sweeps `months_to_sweep` of the frame it had."""
        if watermark is not None and (self.watermark is None or watermark > self.watermark):
            self.watermark = watermark
        if earliest is not None and (self.earliest is None or earliest < self.earliest):
            self.earliest = earliest

    def take_removed(self) -> set[tuple[str, str]]:
        """The results withdrawn since the last call (the caller deletes their stored rows)."""
        removed, self.removed = self.removed, set()
        return removed

    def unscored(self, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """The unit-months among `keys` that are not scored (the unit is exempt in that month)."""
        scored = self.store.directory.scored
        return {(unit, month) for unit, month in keys if scored(unit, month) is None}

    def refresh(self, touched: set[tuple[str, str]], sweep_months: Iterable[str] = ()) -> list[Change]:
        """Re-evaluate what may have changed at the watermark; return what did."""
        return [change for part in self.refreshing(touched, sweep_months) for change in part]

    def refreshing(
        self, touched: set[tuple[str, str]], sweep_months: Iterable[str] = (), step: int = 200
    ) -> Iterator[list[Change]]:
        """`refresh` in parts of at most `step` targets, so that a caller can let other work run
        in between; the refresh is complete (and memory consistent) only once it is exhausted."""
        if self.watermark is None:
            return
        ordered = sorted(self._targets(touched, sweep_months, month_of(self.watermark)))
        directory = self.store.directory
        evaluate, published, stored, watermark = self.scorer.evaluate, self.published, self.stored, self.watermark
        for start in range(0, len(ordered), step):
            changes = []
            for key in ordered[start:start + step]:
                unit, month = key
                if directory.scored(unit, month) is None:
                    if published.pop(key, None) is not None:
                        self.removed.add(key)
                        self.stored.discard(key)
                    continue
                result = evaluate(unit, month, watermark)
                before = published.get(key)
                if before is not result and before != result:
                    published[key] = result
                    restamp = key in stored and before is not None and _same_score(before, result)
                    changes.append(Change(unit, month, before, result, restamp))
                    stored.add(key)
            yield changes

    def disagreeing(self, stored: Mapping[Key, UnitResult]) -> list[Change]:
        """The changes that make stored results agree with memory's, where it scores them otherwise: after a
        rebuild from more than the rows were written from (a change of the shard count: memory has a fact whose
        routed copy was still on its way to the unit's former owner), which no later fold would correct."""
        published = self.published
        return [Change(unit, month, before, after) for (unit, month), before in sorted(stored.items())
                if (after := published.get((unit, month))) is not None and after.canonical() != before.canonical()]

    def _targets(self, touched: set[Key], sweep_months: Iterable[str], current: str) -> set[Key]:
        """The unit-months to evaluate again (of the units this projection scores)."""
        # A fact counts in its own month and carries into every later one up to the current month
        # (a mount in July raises the mount rate in August; a flag holds until resolved).
        targets: set[Key] = set()
        owns = self.owns
        for unit, month in touched:
            if owns is not None and not owns(unit):
                continue
            while month <= current:
                targets.add((unit, month))
                month = shift_month(month, 1)
        scored_units = self.store.directory.scored_units
        for month in sweep_months:
            targets.update((unit, month) for unit in scored_units(month) if owns is None or owns(unit))
        return targets


def _same_score(a: UnitResult, b: UnitResult) -> bool:
    """Equal but for the as-of instant."""
    return replace(a, as_of=b.as_of) == b


def _moves_from(env: EnvelopeLike, t: Instant) -> Instant:
    """The earliest instant an event can move scores from: its own time, for a retraction the time of
    the finding it voids, for a registration the day an exemption starts (either may be months before)."""
    if env.type == "scoring.finding-retracted":
        return min(t, to_instant(env.data.finding_occurred_at))
    if env.type in ("exchange.request-approved", "exchange.request-rejected"):
        # a decision tells when its request was forwarded (when the forwarding event is missing)
        return min(t, to_instant(env.data.forwarded_at))
    if env.type == "registry.unit-registered" and env.data.exempt_from is not None:
        return min(t, day_start(env.data.exempt_from.toordinal()))
    return t
