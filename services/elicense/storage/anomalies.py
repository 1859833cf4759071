"""Abnormal data found in licenses, per issuer, with corrections (see domain/anomalies.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg


async def same_number(conn: asyncpg.Connection, issuer: str, license_type: str, number: str,
                      license_id: str) -> list[str]:
    return [r["license_id"] for r in await conn.fetch(
        "SELECT license_id FROM licenses WHERE issuer = $1 AND license_type = $2 AND number = $3 "
        "AND license_id <> $4 AND status = 'valid' ORDER BY license_id LIMIT 20", issuer, license_type, number,
        license_id)]


async def open_of(conn: asyncpg.Connection, license_id: str) -> dict[str, datetime]:
    """The license's open anomalies: code -> when found."""
    return {r["code"]: r["found_at"] for r in await conn.fetch(
        "SELECT code, found_at FROM anomalies WHERE license_id = $1 AND corrected_at IS NULL", license_id)}


async def flag(conn: asyncpg.Connection, *, license_id: str, issuer: str, license_type: str, code: str, detail: str,
               at: datetime) -> None:
    await conn.execute("INSERT INTO anomalies (license_id, issuer, license_type, code, detail, found_at) "
                       "VALUES ($1, $2, $3, $4, $5, $6)", license_id, issuer, license_type, code, detail, at)


async def correct(conn: asyncpg.Connection, license_id: str, code: str, at: datetime) -> None:
    await conn.execute("UPDATE anomalies SET corrected_at = $3 WHERE license_id = $1 AND code = $2 "
                       "AND corrected_at IS NULL", license_id, code, at)


async def listed(conn: asyncpg.Connection, *, issuer: str | None, status: str | None,
                 limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT license_id, issuer, license_type, code, detail, found_at, corrected_at FROM anomalies "
        "WHERE ($1::text IS NULL OR issuer = $1) AND ($2::text IS NULL OR (corrected_at IS NULL) = ($2 = 'open')) "
        "ORDER BY found_at DESC, license_id LIMIT $3", issuer, status, limit)
    return [dict(r) for r in rows]


async def stats(conn: asyncpg.Connection, issuer: str | None) -> list[dict[str, Any]]:
    """Per issuer: anomalies open and corrected, and the mean and longest time to correct (hours)."""
    rows = await conn.fetch(
        "SELECT issuer, count(*) FILTER (WHERE corrected_at IS NULL) AS open, "
        "count(*) FILTER (WHERE corrected_at IS NOT NULL) AS corrected, "
        "round((avg(extract(epoch FROM corrected_at - found_at)) / 3600)::numeric, 2) AS mean_hours_to_correct, "
        "round((max(extract(epoch FROM corrected_at - found_at)) / 3600)::numeric, 2) AS max_hours_to_correct "
        "FROM anomalies WHERE ($1::text IS NULL OR issuer = $1) GROUP BY issuer ORDER BY issuer", issuer)
    return [dict(r) for r in rows]
