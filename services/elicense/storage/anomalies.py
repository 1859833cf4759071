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


async def keep_statistics(conn: asyncpg.Connection, added: int) -> None:
    """ANALYZE the licenses when `added` rows are a large share of what the planner believes the table holds:
    `duplicates_among` right after a big import chunk was planned on statistics of an (almost) empty table, a
    nested loop over every pair (20,000 licenses took 9.5 s, not 0.1 s). Growing by a fifth each time, a
    stock import into an empty library analyses a handful of times, then autovacuum's own analyses suffice."""
    believed = await conn.fetchval("SELECT reltuples FROM pg_class WHERE oid = 'licenses'::regclass")
    if added > 0.2 * max(float(believed or 0), 0.0):  # -1: never analysed
        await conn.execute("ANALYZE licenses")


async def duplicates_among(conn: asyncpg.Connection, license_ids: list[str]) -> dict[str, list[str]]:
    """For each valid license among `license_ids`: the issuer's other valid licenses of its type with its
    number (a stock import checks a chunk at once)."""
    rows = await conn.fetch(
        "SELECT l.license_id, array_agg(o.license_id ORDER BY o.license_id) AS others FROM licenses l "
        "JOIN licenses o ON o.issuer = l.issuer AND o.license_type = l.license_type AND o.number = l.number "
        "AND o.license_id <> l.license_id AND o.status = 'valid' "
        "WHERE l.license_id = ANY($1::text[]) AND l.status = 'valid' GROUP BY l.license_id", license_ids)
    return {r["license_id"]: list(r["others"])[:20] for r in rows}


async def flag_many(conn: asyncpg.Connection, rows: list[tuple[str, str, str, str, str, datetime]]) -> None:
    """(license id, issuer, type, code, detail, found at) of anomalies newly found."""
    await conn.executemany("INSERT INTO anomalies (license_id, issuer, license_type, code, detail, found_at) "
                           "VALUES ($1, $2, $3, $4, $5, $6)", rows)


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
