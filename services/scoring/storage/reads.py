"""What the scoring API reads from its tables: leaderboards, a unit's result with its events, history,
ledger positions, closed months; each function takes the pool. One that reads in more than one statement
reads one snapshot (`hubkit.db.read_snapshot`): the projection commits between two statements at any time,
and a board whose trend ends on another total than the one beside it, or a history whose last change is not
the month's score, would show two states at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from hubkit.db import read_snapshot


async def leaderboard(pool: asyncpg.Pool, month: str, yesterday: datetime | None) -> tuple[list[Any], list[Any]]:
    """(each unit's score of the month with its total as of `yesterday`, the last six months' totals)."""
    async with pool.acquire() as conn, read_snapshot(conn):
        rows = await conn.fetch(
            """SELECT s.unit, s.x, s.y, s.total, s.band, s.list, s.as_of, s.ruleset, s.ruleset_version,
                      (SELECT l.total FROM score_ledger l WHERE l.unit = s.unit AND l.month = s.month
                         AND l.as_of <= $2 ORDER BY l.position DESC LIMIT 1) AS yesterday
               FROM scores s WHERE s.month = $1 ORDER BY s.total DESC, s.unit""", month, yesterday)
        trends = await conn.fetch(
            "SELECT unit, month, total FROM scores WHERE month <= $1 AND month >= to_char(to_date($1, 'YYYY-MM') "
            "- interval '5 months', 'YYYY-MM') ORDER BY month", month)
    return list(rows), list(trends)


async def unit_result(pool: asyncpg.Pool, unit: str, month: str) -> tuple[Any, list[Any]]:
    """(the unit's score row of the month or None, the archived events its items name as causes)."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM scores WHERE unit = $1 AND month = $2", unit, month)
        if row is None:
            return None, []
        ids = sorted({i for causes in row["result"]["causes"].values() for i in causes})
        # Once each: with several shards an event may be archived by more than one of them.
        events = await conn.fetch("SELECT DISTINCT ON (event_id) position, event_id, type, unit, occurred_at, envelope "
                                  "FROM archive WHERE event_id = ANY($1::uuid[]) ORDER BY event_id, position", ids)
        events = sorted(events, key=lambda r: r["position"])
    return row, list(events)


async def unit_history(pool: asyncpg.Pool, unit: str, month: str | None) -> tuple[list[Any], list[Any]]:
    """(the unit's score in every month, its changes within `month` if given)."""
    async with pool.acquire() as conn, read_snapshot(conn):
        months = await conn.fetch(
            "SELECT month, x, y, total, band, list, as_of FROM scores WHERE unit = $1 ORDER BY month", unit)
        changes = [] if month is None else await conn.fetch(
            "SELECT position, x, y, total, band, list, as_of FROM score_ledger WHERE unit = $1 AND month = $2 "
            "ORDER BY position", unit, month)
    return list(months), list(changes)


async def ledger_position(pool: asyncpg.Pool) -> int:
    async with pool.acquire() as conn:
        return int(await conn.fetchval("SELECT coalesce(max(position), 0) FROM score_ledger"))


async def ledger_after(pool: asyncpg.Pool, position: int, month: str | None, limit: int = 500) -> list[Any]:
    """Score changes after a ledger position (of one month, if given), in order."""
    async with pool.acquire() as conn:
        return list(await conn.fetch(
            "SELECT position, unit, month, x, y, total, band, list, previous_total, as_of FROM score_ledger "
            "WHERE position > $1 AND ($2::text IS NULL OR month = $2) ORDER BY position LIMIT $3",
            position, month, limit))


async def closed_months(pool: asyncpg.Pool) -> list[str]:
    async with pool.acquire() as conn:
        return [r["month"] for r in await conn.fetch("SELECT month FROM closed_months ORDER BY month DESC")]


async def month_results(pool: asyncpg.Pool, months: list[str]) -> dict[str, list[Any]]:
    """Each month's scored units' results (canonical documents), by month."""
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT month, result FROM scores WHERE month = ANY($1::text[]) ORDER BY unit", months)
    found: dict[str, list[Any]] = {m: [] for m in months}
    for r in rows:
        found[r["month"]].append(r["result"])
    return found


async def month_figures(pool: asyncpg.Pool, upto: str, last: int) -> list[Any]:
    """The province per month up to `upto` (the `last` months): units scored, mean total, red and black."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """SELECT month, count(*) AS units, round(avg(total), 2) AS mean,
                      count(*) FILTER (WHERE list = 'red') AS red, count(*) FILTER (WHERE list = 'black') AS black
               FROM scores WHERE month <= $1 GROUP BY month ORDER BY month DESC LIMIT $2""", upto, last)
    return list(reversed(rows))


async def recent_deductions(pool: asyncpg.Pool, limit: int) -> list[Any]:
    """The province's latest deduction alerts, the newest first (reminders and anomalies cost nothing)."""
    async with pool.acquire() as conn:
        return list(await conn.fetch(
            "SELECT seq, unit, month, item, points_added, payload, created_at FROM alerts WHERE points_added > 0 "
            "ORDER BY seq DESC LIMIT $1", limit))


async def units_with_item(pool: asyncpg.Pool, month: str, item: str) -> set[str]:
    """The units whose result of the month has points on the item (or, given an indicator, on any of its items)."""
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT unit FROM scores WHERE month = $1 "
                                "AND (result->'items' ? $2 OR result->'indicators' ? $2)", month, item)
    return {r["unit"] for r in rows}


async def traffic_now(pool: asyncpg.Pool, upto: datetime) -> tuple[list[Any], Any]:
    """(each provider's calls in the latest window counted before `upto`, the totals of that window's local
    day up to it) from the exchange's traffic counts."""
    async with pool.acquire() as conn, read_snapshot(conn):
        rows = await conn.fetch(
            "SELECT * FROM traffic WHERE window_start = (SELECT max(window_start) FROM traffic "
            "WHERE window_start + make_interval(secs => window_seconds) <= $1) ORDER BY failed DESC, provider", upto)
        day = await conn.fetchrow(
            "SELECT coalesce(sum(calls), 0) AS calls, coalesce(sum(failed), 0) AS failed FROM traffic "
            "WHERE window_start >= date_trunc('day', $1::timestamptz AT TIME ZONE 'Asia/Shanghai') "
            "AT TIME ZONE 'Asia/Shanghai' AND window_start < $1", upto)
    return list(rows), day
