"""Each shard's activity figures of its own units, per month (migration 017)."""

from __future__ import annotations

from datetime import datetime

import asyncpg


async def save(conn: asyncpg.Connection, shard: int, month: str, at: datetime, figures: bytes) -> None:
    await conn.execute(
        "INSERT INTO shard_activity (shard, month, at, figures) VALUES ($1, $2, $3, $4::text::jsonb) "
        "ON CONFLICT (shard, month) DO UPDATE SET at = excluded.at, figures = excluded.figures",
        shard, month, at, figures.decode())


async def of_month(pool: asyncpg.Pool, month: str) -> list[bytes]:
    """The figures every shard wrote for `month` (JSON)."""
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT figures::text AS figures FROM shard_activity WHERE month = $1 ORDER BY shard",
                                month)
    return [r["figures"].encode() for r in rows]
