"""What the API may know of the live projection, in one place, instead of reaching into the projector:
the event-time watermark, the ledger position, a unit's kind in the directory, a month evaluated now."""

from __future__ import annotations

from datetime import datetime

from scoring.domain.activity import Activity, CatalogTask, activity, catalog_tasks
from scoring.domain.alert_text import undecided_requests
from scoring.domain.clock import month_bounds
from scoring.domain.dashboard import Unit
from scoring.domain.engine import evaluate
from scoring.domain.result import MonthResult
from scoring.domain.ruleset import Ruleset
from scoring.messaging.projector import LiveProjector


class LiveView:
    def __init__(self, projector: LiveProjector, ruleset: Ruleset) -> None:
        self._projector, self.ruleset = projector, ruleset

    @property
    def watermark(self) -> int | None:
        """The latest event time scored (epoch microseconds), or None before the first event."""
        return self._projector.projection.watermark

    @property
    def position(self) -> int:
        """The ledger position the live scores have reached."""
        return self._projector.position

    async def caught_up(self, timeout: float) -> int | None:
        """Events on the broker at the call still not folded after waiting up to `timeout` s (None: the
        projection is not reading yet)."""
        return await self._projector.caught_up(timeout)

    def undecided_requests(self, unit: str) -> list[tuple[str, int]]:
        return undecided_requests(self._projector.projection.store.facts(unit).exchange)

    def unit_kind(self, unit: str) -> str | None:
        reg = self._projector.projection.store.directory.get(unit)
        return reg.kind if reg else None

    def scored_units(self, month: str | None = None) -> list[tuple[str, str, frozenset[str], int]]:
        directory = self._projector.projection.store.directory
        return [(u, r.kind, r.absent_indicators, r.stamp[0]) for u in directory.scored_units(month)
                if (r := directory.units[u]) is not None]

    def evaluate(self, month: str, as_of: datetime | int) -> MonthResult:
        store = self._projector.projection.store
        return evaluate(self.ruleset, store.directory, store, month, as_of)

    def units(self) -> dict[str, Unit]:
        """Every registered unit's name, kind and (a county's) city."""
        directory = self._projector.projection.store.directory
        return {u: Unit(r.name, r.kind, r.parent_unit) for u, r in directory.units.items()}

    def activity(self, month: str | None = None) -> Activity | None:
        """The province's catalog, exchange and e-license figures at the watermark, or at the end of `month`
        when that came before it (None: no event yet)."""
        p = self._projector
        wm = p.projection.watermark
        if wm is None:
            return None
        t = wm if month is None else min(wm, month_bounds(month)[1] - 1)
        # Read once per position and instant (about 40 ms for 200,000 licenses): every open dashboard asks
        # after each change.
        memo = p.derived.get("activity")
        if memo is None or memo[0] != (p.position, t):
            memo = p.derived["activity"] = ((p.position, t), activity(p.projection.store, t))
        found: Activity = memo[1]
        return found

    def catalog_tasks(self, unit: str) -> list[CatalogTask]:
        """The unit's catalog work at the watermark: required resources to publish or mount, stale ones."""
        p = self._projector
        wm = p.projection.watermark
        return [] if wm is None else catalog_tasks(p.projection.store.facts(unit).catalog, wm)
