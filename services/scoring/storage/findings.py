"""Findings recorded through this service (their events went out through the outbox), for listing and
withdrawal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from scoring.service.ports import FindingRow

_COLUMNS = ("finding_id, event_id, unit, item, effect, inspector, occurred_at, attributed_unit, note, count, "
            "retracted_at, retracted_by, retract_reason")


def _row(r: Any) -> FindingRow:
    return FindingRow(**{k: r[k] for k in _COLUMNS.split(", ")})


async def for_retraction(conn: asyncpg.Connection, finding_id: str) -> FindingRow | None:
    r = await conn.fetchrow(f"SELECT {_COLUMNS} FROM findings WHERE finding_id = $1 FOR UPDATE", finding_id)
    return _row(r) if r is not None else None


async def insert_many(conn: asyncpg.Connection, rows: list[FindingRow]) -> list[str]:
    """The findings in one statement; returns the ids that were recorded already (those rows are left out)."""
    if not rows:
        return []
    added = await conn.fetch(
        "INSERT INTO findings (finding_id, event_id, unit, item, effect, inspector, occurred_at, attributed_unit, "
        "note, count) SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], "
        "$7::timestamptz[], $8::text[], $9::text[], $10::int[]) ON CONFLICT DO NOTHING RETURNING finding_id",
        *([getattr(r, c) for r in rows] for c in ("finding_id", "event_id", "unit", "item", "effect", "inspector",
                                                  "occurred_at", "attributed_unit", "note", "count")))
    recorded = {r["finding_id"] for r in added}
    return [r.finding_id for r in rows if r.finding_id not in recorded]


async def retract(conn: asyncpg.Connection, finding_id: str, *, at: datetime, by: str, reason: str) -> None:
    await conn.execute("UPDATE findings SET retracted_at = $2, retracted_by = $3, retract_reason = $4 "
                       "WHERE finding_id = $1", finding_id, at, by, reason)


async def listed(conn: asyncpg.Connection, *, unit: str | None, item: str | None, start: datetime | None,
                 end: datetime | None, status: str | None, limit: int) -> list[FindingRow]:
    """Newest first; `status` recorded (standing) or retracted."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM findings WHERE ($1::text IS NULL OR unit = $1 OR attributed_unit = $1) "
        "AND ($2::text IS NULL OR item = $2) AND ($3::timestamptz IS NULL OR occurred_at >= $3) "
        "AND ($4::timestamptz IS NULL OR occurred_at < $4) "
        "AND ($5::text IS NULL OR ($5 = 'retracted') = (retracted_at IS NOT NULL)) "
        "ORDER BY occurred_at DESC, finding_id LIMIT $6", unit, item, start, end, status, limit)
    return [_row(r) for r in rows]
