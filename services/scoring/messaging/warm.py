"""The memory a projection starts from, folded from its shard's archive rows ahead of time by a standby.
(After a change of the shard count, from every row up to it first: scoring/reshard.py.)

A standby (messaging/lease.py) follows the archive while it waits, folding what the projecting instance commits,
so that taking over folds only the last rows instead of the whole archive (a province's year: minutes). Folding is
order-free and idempotent and the archive's positions are committed in order (its lock), so folding rows 1..k
then k+1..n is folding 1..n: the memory is the one a start from nothing builds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import asyncpg
from contracts.fastdecode import decode

from scoring.domain.facts import EnvelopeLike
from scoring.domain.projection import Projection
from scoring.domain.ruleset import Ruleset
from scoring.gcpause import cyclic_gc_paused
from scoring.storage import archive, state

FOLLOW_STEP = 50_000  # rows folded per look while waiting: the standby still looks for the lock in between
_FOLD_STEP = 2_000  # events folded at once (one at a time, folding 200,000 took 1.0 s instead of 0.7)


class WarmMemory:
    def __init__(self, ruleset: Ruleset, owns: Callable[[str], bool] | None, shard: int) -> None:
        self.projection = Projection(ruleset, owns)
        self.shard = shard
        self.position = 0  # the last archive row folded (their ids: self.projection.store.seen)
        self.resharded_at: int | None = None  # read at the first look

    async def follow(self, pool: asyncpg.Pool, limit: int | None = None) -> int:
        """Fold the shard's archive rows after `position` (at most `limit` of them); how many were folded."""
        folded, pending, last = 0, [], self.position
        with cyclic_gc_paused():  # folding allocates millions of acyclic objects
            async for last, raw in self._rows(pool):
                pending.append(decode(raw))
                folded += 1
                if len(pending) == _FOLD_STEP:
                    self._fold(pending, last)
                if limit is not None and folded >= limit:
                    break
            if pending:
                self._fold(pending, last)
        return folded

    async def _rows(self, pool: asyncpg.Pool) -> AsyncIterator[tuple[int, bytes]]:
        """The rows after `position` this shard's memory is made of: every row up to the last change of the shard
        count, whichever shard wrote it (scoring/reshard.py), then the shard's own."""
        if self.resharded_at is None:
            async with pool.acquire() as conn:
                self.resharded_at = await state.resharded_at(conn)
        whole, after = self.resharded_at, self.position
        if after < whole:
            async for row in archive.stream(pool, after=after, upto=whole):
                yield row
        async for row in archive.stream(pool, shard=self.shard, after=max(after, whole)):
            yield row

    def _fold(self, pending: list[EnvelopeLike], position: int) -> None:
        """Fold in steps, as the live projection folds its batches: the scorer is told once per step."""
        self.projection.fold(pending)
        pending.clear()
        self.position = position
