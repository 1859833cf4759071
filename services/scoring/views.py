"""What the API may know of the live projection, in one place, instead of reaching into the projector:
the event-time watermark, the ledger position, a unit's kind in the directory, a month evaluated now.

A month's results for its close are the committed facts only: memory held still at its committed position (with
shards, every shard's at once). With several shards (HUB_SHARDS) memory holds the facts
of this shard's units only: a unit another shard owns is read from its archived events."""

from __future__ import annotations

from datetime import datetime

import asyncpg
from contracts.fastdecode import decode

from scoring.domain.activity import Activity, CatalogTask, activity, catalog_tasks
from scoring.domain.alert_text import undecided_requests
from scoring.domain.clock import month_bounds, month_of, to_instant
from scoring.domain.dashboard import Unit
from scoring.domain.engine import month_result
from scoring.domain.facts import Directory, FactStore, UnitFacts
from scoring.domain.result import MonthResult
from scoring.domain.ruleset import Ruleset
from scoring.messaging import close_rounds
from scoring.messaging.projector import LiveProjector
from scoring.messaging.shard_activity import gathered
from scoring.messaging.stillness import ProjectionBusy, scored_in_parts
from scoring.storage import archive


class LiveView:
    def __init__(self, projector: LiveProjector, ruleset: Ruleset, pool: asyncpg.Pool | None = None) -> None:
        self._projector, self.ruleset, self._pool = projector, ruleset, pool

    @property
    def sharded(self) -> bool:
        return self._projector.plan.count > 1

    def _archive_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("this view reads the archive: it needs the pool")
        return self._pool

    async def _archived(self, units: list[str]) -> FactStore:
        """A store of what the owner of these units folded: their events and those about them, from the archive."""
        store = FactStore()
        for raw in await archive.events_touching(self._archive_pool(), units):
            store.apply(decode(raw))
        return store

    async def facts_of(self, unit: str) -> UnitFacts:
        """The unit's facts as its owner holds them: memory when this shard owns it, else from the archive."""
        if self._projector.plan.shards.owns(unit):
            return self._projector.projection.store.facts(unit)
        return (await self._archived([unit])).facts(unit)

    async def scope_of(self, unit: str) -> tuple[Directory, FactStore]:
        """The directory and a store with every fact evaluating `unit` reads: memory when this shard owns the
        unit; else from the archive, with its counties' facts too. (Every shard's memory has the whole
        directory.)"""
        memory = self._projector.projection.store
        if self._projector.plan.shards.owns(unit):
            return memory.directory, memory
        counties = [u for u, r in memory.directory.units.items() if r is not None and r.parent_unit == unit]
        return memory.directory, await self._archived([unit, *counties])

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
        projection is not reading yet); with shards, by every shard, and nothing left to forward."""
        if self.sharded:
            return await close_rounds.all_caught_up(self._projector, self._archive_pool(), timeout)
        return await self._projector.caught_up(timeout)

    async def undecided_requests(self, unit: str) -> list[tuple[str, int]]:
        return undecided_requests((await self.facts_of(unit)).exchange)

    def unit_kind(self, unit: str) -> str | None:
        reg = self._projector.projection.store.directory.get(unit)
        return reg.kind if reg else None

    def scored_units(self, month: str | None = None) -> list[tuple[str, str, frozenset[str], int]]:
        directory = self._projector.projection.store.directory
        return [(u, r.kind, r.absent_indicators, r.stamp[0]) for u in directory.scored_units(month)
                if (r := directory.units[u]) is not None]

    async def evaluate(self, month: str, as_of: datetime | int, *, wait: float) -> tuple[MonthResult, int] | None:
        """Every scored unit's result of `month` at `as_of`, and the archive position it stands on (None: the
        projection did not come to a stop within `wait` seconds).

        A month's seal must be what the auditors get replaying the archive up to its position, and memory may
        hold a batch folded whose commit is not done: the projection is held still where memory is exactly the
        archive up to its position, and the month is scored from memory (O(units)). With shards every shard is
        held still at once and scores its own units (messaging/close_rounds.py)."""
        t = as_of if isinstance(as_of, int) else to_instant(as_of)
        if self.sharded:
            return await close_rounds.gather(self._archive_pool(), self._projector, self.ruleset, month, t, wait)
        try:
            async with self._projector.stillness.held(wait):
                position = self._projector.position
                units = await scored_in_parts(self.ruleset, self._projector.projection.store, month, t)
        except ProjectionBusy:
            return None
        return month_result(self.ruleset, month, t, tuple(units)), position

    def units(self) -> dict[str, Unit]:
        """Every registered unit's name, kind and (a county's) city."""
        directory = self._projector.projection.store.directory
        return {u: Unit(r.name, r.kind, r.parent_unit) for u, r in directory.units.items()}

    async def activity(self, month: str | None = None) -> Activity | None:
        """The province's catalog, exchange and e-license figures at the watermark, or at the end of `month`
        when that came before it (None: no event yet; with shards, until each has written its part)."""
        p = self._projector
        wm = p.projection.watermark
        if wm is None:
            return None
        if self.sharded:
            return await gathered(self._archive_pool(), month or month_of(wm), p.plan.count)
        t = wm if month is None else min(wm, month_bounds(month)[1] - 1)
        # Read once per position and instant (about 40 ms for 200,000 licenses): every open dashboard asks
        # after each change.
        memo = p.derived.get("activity")
        if memo is None or memo[0] != (p.position, t):
            memo = p.derived["activity"] = ((p.position, t), activity(p.projection.store, t))
        found: Activity = memo[1]
        return found

    async def catalog_tasks(self, unit: str) -> list[CatalogTask]:
        """The unit's catalog work at the watermark: required resources to publish or mount, stale ones."""
        wm = self._projector.projection.watermark
        return [] if wm is None else catalog_tasks((await self.facts_of(unit)).catalog, wm)
