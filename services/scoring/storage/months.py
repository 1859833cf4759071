"""Closed months: frozen results, and the facts that arrived after the close (adjustments)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from scoring.domain.result import MonthResult


def unit_canonical(result: MonthResult, index: int) -> bytes:
    """One unit's frozen result as canonical JSON (sorted keys, no spaces), with what it was judged by."""
    doc = {"ruleset": result.ruleset_id, "ruleset_version": result.ruleset_version, "month": result.month,
           **result.units[index].canonical()}
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


async def is_closed(conn: asyncpg.Connection, month: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM closed_months WHERE month = $1", month))


async def freeze(conn: asyncpg.Connection, result: MonthResult, *, last_position: int, as_of: datetime,
                 closed_by: str, under_appeal: dict[str, list[str]]) -> list[tuple[str, Any, str]]:
    """Store every unit's frozen result (with the appeals open against what it counts); returns
    (unit, total, sha256) per unit."""
    rows = []
    for i, unit in enumerate(result.units):
        canonical = unit_canonical(result, i)
        rows.append((result.month, unit.unit, unit.total, orjson.loads(canonical), canonical,
                     hashlib.sha256(canonical).hexdigest(), under_appeal.get(unit.unit, [])))
    await conn.execute(
        "INSERT INTO closed_months (month, ruleset, ruleset_version, last_position, as_of, sha256, closed_by) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        result.month, result.ruleset_id, result.ruleset_version, last_position, as_of, result.sha256(), closed_by,
    )
    await conn.executemany(
        "INSERT INTO closed_results (month, unit, total, result, canonical, sha256, under_appeal) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        rows,
    )
    return [(r[1], r[2], r[5]) for r in rows]


async def closed(conn: asyncpg.Connection, month: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM closed_months WHERE month = $1", month)


async def sealed_results(conn: asyncpg.Connection, month: str) -> list[dict[str, Any]]:
    """Each unit's frozen result as sealed: unit, total, SHA-256 and the canonical document."""
    rows = await conn.fetch("SELECT unit, total, sha256, canonical FROM closed_results WHERE month = $1 "
                            "ORDER BY unit", month)
    return [{"unit": r["unit"], "total": str(r["total"]), "sha256": r["sha256"],
             "result": orjson.loads(bytes(r["canonical"]))} for r in rows]


async def frozen_results(conn: asyncpg.Connection, month: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT c.unit, c.total AS frozen_total, c.sha256, s.total AS live_total, s.band, s.list, "
        "(SELECT coalesce(json_agg(json_build_object('appeal_id', a.appeal_id, 'finding_id', a.finding_id, "
        "'status', a.status, 'decision_reason', a.decision_reason) ORDER BY a.appeal_id), '[]') FROM appeals a "
        "WHERE a.appeal_id = ANY(c.under_appeal)) AS under_appeal "
        "FROM closed_results c LEFT JOIN scores s ON s.unit = c.unit AND s.month = c.month "
        "WHERE c.month = $1 ORDER BY c.total DESC, c.unit", month)


async def late_facts(conn: asyncpg.Connection, month: str, after_position: int, start: datetime,
                     end: datetime) -> list[asyncpg.Record]:
    """Facts about the closed month archived after its close: adjustments, never edited in. A withdrawal
    of a finding of the month counts among them whenever it was made (with its reason)."""
    return await conn.fetch(  # DISTINCT ON: with several shards an event may be archived more than once
        "SELECT * FROM (SELECT DISTINCT ON (event_id) position, event_id, type, unit, occurred_at, "
        "convert_from(envelope, 'UTF8')::jsonb #>> '{data,reason}' AS reason FROM archive WHERE position > $1 "
        "AND NOT EXISTS (SELECT 1 FROM archive AS before WHERE before.event_id = archive.event_id "
        "AND before.position <= $1) "  # another shard had archived it before the close: it counted
        "AND ((occurred_at >= $2 AND occurred_at < $3) OR (type = 'scoring.finding-retracted' "
        "AND (convert_from(envelope, 'UTF8')::jsonb #>> '{data,finding_occurred_at}')::timestamptz >= $2 "
        "AND (convert_from(envelope, 'UTF8')::jsonb #>> '{data,finding_occurred_at}')::timestamptz < $3)) "
        "ORDER BY event_id, position) AS late ORDER BY position", after_position, start, end)
