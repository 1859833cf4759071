"""Changing how many shards project the scores (`hub-scoring reshard N`), with every scoring instance stopped.

A unit belongs to the shard reading its partitions (messaging/shards.py), so a new count gives units new owners,
and a new owner's memory lacks the facts the old owner folded. The archive has them all: after a reshard every
shard's memory is built from every archive row up to the reshard's position, whichever shard wrote it (a fact
folds once, by id), and then from its own rows (messaging/warm.py). That memory holds more than the shard's units
need (other units' facts up to then), never less: a unit's score depends only on the events that move it, and
all of them are there. Each partition is read on from the earliest offset any shard had stored for it; a routed
record in flight reaches the unit's new owner, which reads the routed partition of the unit it is keyed by.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from hubkit.db import create_pool, migrate_service

from scoring.messaging.shards import regrouped
from scoring.settings import ScoringSettings
from scoring.storage import MIGRATIONS, archive, ownership, state


class ReshardRefused(Exception):
    """The count cannot change now (an instance still projects, or nothing was ever projected)."""


@dataclass(frozen=True, slots=True)
class Resharded:
    from_count: int
    count: int
    position: int  # the archive's head: every shard's memory starts with every row up to it
    partitions: int  # offsets stored for the new shards


async def reshard(settings: ScoringSettings, count: int) -> Resharded:
    if count < 1:
        raise ReshardRefused("the shard count is at least 1")
    await migrate_service(settings.database_url, "scoring", MIGRATIONS)
    pool = await create_pool(settings.database_url, "scoring", max_size=1)
    try:
        async with pool.acquire() as conn:
            return await _reshard(conn, count)
    finally:
        await pool.close()


async def _reshard(conn: asyncpg.Connection, count: int) -> Resharded:
    counts = await state.shard_counts(conn)
    if not counts:
        raise ReshardRefused("nothing has been projected yet: start the shards with HUB_SHARDS and HUB_SHARD")
    from_count = max(counts)
    # Holding every shard's lock on this session: no instance projects meanwhile, and none that is still running
    # lets this go on (a standby waiting for one takes it only after this session ends).
    busy = [s for s in range(max(from_count, count)) if not await ownership.take(conn, s)]
    if busy:
        raise ReshardRefused(f"shard(s) {busy} are being projected: stop every scoring instance first")
    try:
        async with conn.transaction():
            await archive.lock(conn)
            head, _ = await archive.head(conn)
            if counts == {count}:
                return Resharded(from_count, count, head, 0)
            offsets = regrouped(await state.all_offsets(conn), count)
            await state.reshard(conn, offsets, from_count=from_count, count=count, head=head)
            return Resharded(from_count, count, head, len(offsets))
    finally:
        await conn.execute("SELECT pg_advisory_unlock_all()")
