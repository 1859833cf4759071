"""Which instance projects a shard: the one whose commit connection holds the shard's advisory lock.

A second instance of a shard (a replica, a redeploy that starts the new process before the old one stops) used
to fold the same partitions and fail every commit on the archive's unique key, rebuilding its memory each time.
The lock is a session lock on the connection the projection commits with, so no commit can come from an instance
that does not hold it: a process that lost its connection lost the lock with it, and its next commit has no
connection to run on. The server notices a peer that vanished without closing (a machine gone) by TCP keepalive,
which these settings shorten from hours to about half a minute; then a standby takes the lock.
"""

from __future__ import annotations

import asyncpg

_SHARD_LOCKS = 0x5C0E  # the first key of the two-key advisory lock; the second is the shard's index
_KEEPALIVE = {"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5", "tcp_keepalives_count": "3"}


async def notice_a_vanished_peer(conn: asyncpg.Connection) -> None:
    """The server drops this session ~25 s after its peer stops answering (releasing the lock it holds)."""
    await conn.execute("SELECT " + ", ".join(f"set_config('{name}', '{value}', false)"
                                             for name, value in _KEEPALIVE.items()))


async def take(conn: asyncpg.Connection, shard: int) -> bool:
    """Hold shard `shard` on this session, if no other session does."""
    return bool(await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", _SHARD_LOCKS, shard))

