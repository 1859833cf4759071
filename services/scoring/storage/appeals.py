"""Appeals against findings, in the scoring schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from scoring.service.ports import AppealRow

_COLUMNS = ("appeal_id, finding_id, unit, lodged_at, reason, file_name, file_format, file_sha256, status, "
            "decided_at, decided_by, decision_reason")


def _row(r: Any) -> AppealRow:
    return AppealRow(**{k: r[k] for k in _COLUMNS.split(", ")})


async def insert(conn: asyncpg.Connection, row: AppealRow, file: bytes | None) -> bool:
    return bool(await conn.fetchval(
        "INSERT INTO appeals (appeal_id, finding_id, unit, lodged_at, reason, file_name, file_format, file_sha256, "
        "file) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (finding_id) DO NOTHING RETURNING true",
        row.appeal_id, row.finding_id, row.unit, row.lodged_at, row.reason, row.file_name, row.file_format,
        row.file_sha256, file))


async def for_decision(conn: asyncpg.Connection, appeal_id: str) -> AppealRow | None:
    r = await conn.fetchrow(f"SELECT {_COLUMNS} FROM appeals WHERE appeal_id = $1 FOR UPDATE", appeal_id)
    return _row(r) if r is not None else None


async def decide(conn: asyncpg.Connection, appeal_id: str, *, status: str, at: datetime, by: str,
                 reason: str) -> None:
    await conn.execute("UPDATE appeals SET status = $2, decided_at = $3, decided_by = $4, decision_reason = $5 "
                       "WHERE appeal_id = $1", appeal_id, status, at, by, reason)


async def listed(conn: asyncpg.Connection, *, unit: str | None, status: str | None, limit: int) -> list[AppealRow]:
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM appeals WHERE ($1::text IS NULL OR unit = $1) "
                            "AND ($2::text IS NULL OR status = $2) ORDER BY lodged_at DESC, appeal_id LIMIT $3",
                            unit, status, limit)
    return [_row(r) for r in rows]
