"""Quality dispute rows: raised, answered, listed, and found overdue once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg


async def insert(conn: asyncpg.Connection, *, dispute_id: str, consumer: str, provider: str, resource_code: str,
                 data_kind: str, description: str, raised_at: datetime, answer_due: datetime, found_at: datetime,
                 reported_late: bool, records: list[str]) -> None:
    await conn.execute(
        "INSERT INTO disputes (id, consumer, provider, resource_code, data_kind, description, raised_at, "
        "answer_due, status, found_at, reported_late, records) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10, $11)", dispute_id, consumer, provider,
        resource_code, data_kind, description, raised_at, answer_due, found_at, reported_late, records)


async def for_update(conn: asyncpg.Connection, dispute_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM disputes WHERE id = $1 FOR UPDATE", dispute_id)


async def answer(conn: asyncpg.Connection, dispute_id: str, status: str, text: str, at: datetime,
                 correction: str | None, delivery: str | None = None) -> None:
    await conn.execute("UPDATE disputes SET status = $2, answer = $3, answered_at = $4, correction = $5, "
                       "correction_delivery = $6 WHERE id = $1", dispute_id, status, text, at, correction, delivery)


async def listed(conn: asyncpg.Connection, *, unit: str | None, status: str | None) -> list[asyncpg.Record]:
    return list(await conn.fetch(
        "SELECT * FROM disputes WHERE ($1::text IS NULL OR consumer = $1 OR provider = $1) "
        "AND ($2::text IS NULL OR status = $2) ORDER BY raised_at DESC LIMIT 500", unit, status))


async def due_overdue(conn: asyncpg.Connection, now: datetime) -> list[Any]:
    """Open disputes whose answer is due by now and not yet found overdue (locked: one watcher emits)."""
    return list(await conn.fetch(
        "SELECT * FROM disputes WHERE status = 'open' AND overdue_at IS NULL AND answer_due <= $1 "
        "ORDER BY answer_due FOR UPDATE SKIP LOCKED", now))


async def mark_overdue(conn: asyncpg.Connection, dispute_id: str, at: datetime) -> None:
    await conn.execute("UPDATE disputes SET overdue_at = $2 WHERE id = $1", dispute_id, at)
