"""The calls table read per window of the exchange's clock, and the windows already counted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg


async def last_counted(conn: asyncpg.Connection) -> datetime | None:
    found: datetime | None = await conn.fetchval("SELECT max(window_start) FROM traffic_windows")
    return found


async def first_call(conn: asyncpg.Connection, at_or_after: datetime | None) -> datetime | None:
    found: datetime | None = await conn.fetchval(
        "SELECT min(started_at) FROM calls WHERE $1::timestamptz IS NULL OR started_at >= $1", at_or_after)
    return found


async def per_provider(conn: asyncpg.Connection, start: datetime, end: datetime) -> list[Any]:
    """Each provider's calls started in [start, end): counts, failures by kind, duration percentiles, bytes."""
    return list(await conn.fetch(
        """SELECT provider, count(*) AS calls, count(*) FILTER (WHERE NOT succeeded) AS failed,
                  count(*) FILTER (WHERE error = 'timeout') AS timeouts,
                  count(*) FILTER (WHERE error = 'unavailable') AS unavailable,
                  count(*) FILTER (WHERE error = 'server_error') AS server_errors,
                  count(*) FILTER (WHERE error = 'bad_response') AS bad_responses,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
                  percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95,
                  percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms) AS p99,
                  coalesce(sum(response_bytes), 0) AS response_bytes
           FROM calls WHERE started_at >= $1 AND started_at < $2 GROUP BY provider ORDER BY provider""",
        start, end))


async def mark_counted(conn: asyncpg.Connection, start: datetime) -> None:
    """Raises UniqueViolationError when another replica counted the window first: its transaction wins."""
    await conn.execute("INSERT INTO traffic_windows (window_start) VALUES ($1)", start)
