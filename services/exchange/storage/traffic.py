"""The calls table read per window of the exchange's clock, and the windows already counted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from exchange.storage.call_log import FIGURES


async def last_counted(conn: asyncpg.Connection) -> datetime | None:
    found: datetime | None = await conn.fetchval("SELECT max(window_start) FROM traffic_windows")
    return found


async def first_call(conn: asyncpg.Connection, at_or_after: datetime | None) -> datetime | None:
    found: datetime | None = await conn.fetchval(
        "SELECT min(started_at) FROM calls WHERE refused IS NULL AND ($1::timestamptz IS NULL OR started_at >= $1)",
        at_or_after)
    return found


async def per_provider(conn: asyncpg.Connection, start: datetime, end: datetime) -> list[Any]:
    """Each provider's calls started in [start, end): counts, failures by kind, duration percentiles, bytes."""
    return list(await conn.fetch(
        f"SELECT provider, {FIGURES} FROM calls WHERE started_at >= $1 AND started_at < $2 AND refused IS NULL "
        "GROUP BY provider ORDER BY provider", start, end))


async def mark_counted(conn: asyncpg.Connection, start: datetime) -> None:
    """Raises UniqueViolationError when another replica counted the window first: its transaction wins."""
    await conn.execute("INSERT INTO traffic_windows (window_start) VALUES ($1)", start)
