"""Holding the projection still where its memory is exactly the archive up to its position.

The projector folds a batch into memory before that batch's commit is done (the next batch is scored while the
last one commits), so memory is usually ahead of the archive. A reader that must see the committed state and
nothing more (a month's close: its seal is what the auditors get replaying the archive up to its position) asks
the projector to stop at the top of its loop: it lets the commit in flight finish, folds nothing new, and waits
there until every holder is done. Memory then equals the fold of the archive up to `position`, so the month can
be scored from memory (O(units)) instead of replaying the whole archive (O(events)).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from scoring.domain.clock import Instant
from scoring.domain.engine import evaluating
from scoring.domain.facts import FactStore
from scoring.domain.result import UnitResult
from scoring.domain.ruleset import Ruleset
from scoring.gcpause import cyclic_gc_paused


class ProjectionBusy(Exception):
    """The projection did not come to a stop in time (it is rebuilding, or a commit failed and it restarts)."""


class Stillness:
    def __init__(self) -> None:
        self._holders = 0
        self._go = asyncio.Event()
        self._go.set()
        self._stopped = asyncio.Event()

    @property
    def holding(self) -> bool:
        """Someone holds the projection still, or waits for it to stop."""
        return self._holders > 0

    async def checkpoint(self, committing: asyncio.Future[None] | None) -> None:
        """The projector's loop, before it fetches or folds anything: stop here while someone holds it still,
        once the commit in flight (`committing`) is done. A failed commit raises here, and nobody is told the
        projection stopped: its memory is ahead of the archive."""
        if self._go.is_set():
            return
        if committing is not None:
            await committing
        self._stopped.set()
        try:
            # Woken by the last holder leaving, it may find another come in meanwhile (who saw it stopped): still.
            while not self._go.is_set():
                await self._go.wait()
        finally:
            self._stopped.clear()

    @contextlib.asynccontextmanager
    async def held(self, timeout: float) -> AsyncIterator[None]:
        """Inside: the projector is stopped at its checkpoint with nothing folded beyond its committed position.
        ProjectionBusy when it does not stop within `timeout` seconds."""
        self._holders += 1
        self._go.clear()
        try:
            try:
                async with asyncio.timeout(timeout):
                    await self._stopped.wait()
            except TimeoutError:
                raise ProjectionBusy from None
            yield
        finally:
            self._holders -= 1
            if self._holders == 0:
                self._go.set()


async def scored_in_parts(ruleset: Ruleset, memory: FactStore, month: str, t: Instant,
                          only: Callable[[str], bool] | None = None) -> list[UnitResult]:
    """The month's units (`only`: those it accepts) scored from memory held still, in parts: a province's units
    take seconds, and requests are answered in between. No cyclic GC pass meanwhile (it would walk all of memory
    and free nothing)."""
    units = []
    with cyclic_gc_paused():
        for n, unit in enumerate(evaluating(ruleset, memory.directory, memory, month, t, only), 1):
            units.append(unit)
            if n % 20 == 0:
                await asyncio.sleep(0)
    return units
