"""Demands for data not yet catalogued, and consumers' ratings of resources."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from exchange.domain.demands import Demand
from exchange.storage import records

_FIELDS = records.fields_of(Demand)


def _demand(row: asyncpg.Record) -> Demand:
    return Demand(**{f: row[f] for f in _FIELDS})


async def insert(conn: asyncpg.Connection, d: Demand) -> None:
    await records.insert(conn, "demands", d)


async def save(conn: asyncpg.Connection, d: Demand) -> None:
    await records.save(conn, "demands", d)


async def get(conn: asyncpg.Connection, demand_id: str, *, for_update: bool = False) -> Demand | None:
    row = await conn.fetchrow("SELECT * FROM demands WHERE id = $1" + (" FOR UPDATE" if for_update else ""),
                              demand_id)
    return _demand(row) if row else None


async def due_overdue(conn: asyncpg.Connection, now: datetime, limit: int = 500) -> list[Demand]:
    """Assigned demands whose deadline passed and that are not flagged yet (locked: another replica skips them)."""
    rows = await conn.fetch("SELECT * FROM demands WHERE status = 'assigned' AND overdue_at IS NULL AND due <= $1 "
                            "ORDER BY due LIMIT $2 FOR UPDATE SKIP LOCKED", now, limit)
    return [_demand(r) for r in rows]


async def listed(conn: asyncpg.Connection, *, unit: str | None, status: str | None, limit: int) -> list[Demand]:
    """Newest first; `unit`: the demands it raised or is assigned (None: all)."""
    rows = await conn.fetch(
        "SELECT * FROM demands WHERE ($1::text IS NULL OR requester = $1 OR provider = $1) "
        "AND ($2::text IS NULL OR status = $2) ORDER BY raised_at DESC, id DESC LIMIT $3", unit, status, limit)
    return [_demand(r) for r in rows]


async def rate(conn: asyncpg.Connection, *, code: str, consumer: str, provider: str, quality: int, timeliness: int,
               usefulness: int, comment: str | None, at: datetime) -> None:
    await conn.execute(
        "INSERT INTO ratings (resource_code, consumer, provider, quality, timeliness, usefulness, comment, rated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (resource_code, consumer) DO UPDATE SET "
        "quality = excluded.quality, timeliness = excluded.timeliness, usefulness = excluded.usefulness, "
        "comment = excluded.comment, rated_at = excluded.rated_at",
        code, consumer, provider, quality, timeliness, usefulness, comment, at)


async def ratings(conn: asyncpg.Connection, code: str, limit: int) -> dict[str, Any]:
    summary = await conn.fetchrow(
        "SELECT count(*) AS n, avg(quality) AS quality, avg(timeliness) AS timeliness, avg(usefulness) AS usefulness "
        "FROM ratings WHERE resource_code = $1", code)
    recent = await conn.fetch("SELECT consumer, quality, timeliness, usefulness, comment, rated_at FROM ratings "
                              "WHERE resource_code = $1 ORDER BY rated_at DESC LIMIT $2", code, limit)
    return {"summary": summary, "recent": recent}


async def provider_ratings(conn: asyncpg.Connection, provider: str | None) -> list[asyncpg.Record]:
    """Per provider: ratings received and their averages."""
    return list(await conn.fetch(
        "SELECT provider, count(*) AS n, avg(quality) AS quality, avg(timeliness) AS timeliness, "
        "avg(usefulness) AS usefulness FROM ratings WHERE ($1::text IS NULL OR provider = $1) GROUP BY provider "
        "ORDER BY provider", provider))
