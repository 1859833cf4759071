"""Submissions and their review, in the scoring schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from scoring.service.ports import SubmissionRow

_COLUMNS = ("submission_id, unit, kind, period, received_at, file_sha256, file_name, file_format, completed, "
            "status, reviewed_at, reviewer, reason")


def _row(r: Any) -> SubmissionRow:
    return SubmissionRow(**{k: r[k] for k in _COLUMNS.split(", ")})


async def insert(conn: asyncpg.Connection, row: SubmissionRow, file: bytes) -> None:
    await conn.execute(
        "INSERT INTO submissions (submission_id, unit, kind, period, received_at, file_sha256, file_name, "
        "file_format, file, completed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        row.submission_id, row.unit, row.kind, row.period, row.received_at, row.file_sha256, row.file_name,
        row.file_format, file, row.completed)


async def for_review(conn: asyncpg.Connection, unit: str, submission_id: str) -> SubmissionRow | None:
    r = await conn.fetchrow(f"SELECT {_COLUMNS} FROM submissions WHERE submission_id = $1 AND unit = $2 "
                            "FOR UPDATE", submission_id, unit)
    return _row(r) if r is not None else None


async def review(conn: asyncpg.Connection, submission_id: str, *, status: str, at: datetime, reviewer: str,
                 reason: str | None) -> None:
    await conn.execute("UPDATE submissions SET status = $2, reviewed_at = $3, reviewer = $4, reason = $5 "
                       "WHERE submission_id = $1", submission_id, status, at, reviewer, reason)


async def all_rows(conn: asyncpg.Connection) -> list[SubmissionRow]:
    return [_row(r) for r in await conn.fetch(f"SELECT {_COLUMNS} FROM submissions ORDER BY received_at, "
                                              "submission_id")]


async def stamp(conn: asyncpg.Connection) -> tuple[int, int]:
    row = await conn.fetchrow("SELECT count(*) AS n, count(reviewed_at) AS reviewed FROM submissions")
    return int(row["n"]), int(row["reviewed"])


async def of_unit(conn: asyncpg.Connection, unit: str) -> list[SubmissionRow]:
    return [_row(r) for r in await conn.fetch(f"SELECT {_COLUMNS} FROM submissions WHERE unit = $1 "
                                              "ORDER BY received_at DESC, submission_id", unit)]


async def file_of(conn: asyncpg.Connection, unit: str, submission_id: str) -> tuple[SubmissionRow, bytes] | None:
    r = await conn.fetchrow(f"SELECT {_COLUMNS}, file FROM submissions WHERE submission_id = $1 AND unit = $2",
                            submission_id, unit)
    return (_row(r), bytes(r["file"])) if r is not None else None
