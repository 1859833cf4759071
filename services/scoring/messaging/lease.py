"""A projection shard is projected by one instance at a time; any other instance of it waits as a hot standby.

`ShardLease.held` gives the connection the projection commits with once this instance holds the shard
(storage/ownership.py), and waits meanwhile, polling: when the holder stops or its connection dies, a standby takes
over within about a second (or, for a machine gone without closing, once the server's keepalive drops it) and
goes on from the archive and offsets the previous holder committed, as any restart does; having followed the
archive while it waited (messaging/warm.py), it folds only the last rows.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import asyncpg
from hubkit.telemetry import get_logger

from scoring.storage import ownership

log = get_logger(__name__)
STANDBY_POLL_SECONDS = 1.0


class ShardLease:
    def __init__(self) -> None:
        self.standby_for: str | None = None  # "shard i of n" while another instance projects it
        self._held: asyncpg.Connection | None = None

    @property
    def connection(self) -> asyncpg.Connection:
        """The connection holding the shard: every commit of the projection runs on it, so none is made by an
        instance that does not hold the shard."""
        if self._held is None:
            raise RuntimeError("this instance does not hold its shard: it may not commit the projection")
        return self._held

    @asynccontextmanager
    async def held(self, pool: asyncpg.Pool, shard: int, count: int,
                   meanwhile: Callable[[], Awaitable[object]] | None = None) -> AsyncIterator[None]:
        """Holds the shard for the block (its connection is `connection` meanwhile), once this instance can;
        released (and with it the shard) when the block ends however it ends. `meanwhile` runs between two looks
        (a standby follows the archive)."""
        async with pool.acquire() as conn:  # the pool's reset on release unlocks every advisory lock
            await ownership.notice_a_vanished_peer(conn)
            while not await ownership.take(conn, shard):
                if self.standby_for is None:
                    self.standby_for = f"shard {shard} of {count}"
                    log.info("standby: another instance projects this shard", shard=shard, shards=count)
                if meanwhile is not None:
                    await meanwhile()
                await asyncio.sleep(STANDBY_POLL_SECONDS)
            if self.standby_for is not None:
                log.info("taking the shard over", shard=shard, shards=count)
            self.standby_for = None
            self._held = conn
            try:
                yield
            finally:
                self._held = None
