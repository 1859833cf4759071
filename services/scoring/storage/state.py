"""Offsets, watermark and published scores: written in the same transaction as the archive rows."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import orjson

from scoring.domain.clock import to_datetime
from scoring.domain.projection import Change


async def load_offsets(conn: asyncpg.Connection) -> dict[tuple[str, int], int]:
    rows = await conn.fetch("SELECT topic, kafka_partition, next_offset FROM offsets")
    return {(r["topic"], r["kafka_partition"]): int(r["next_offset"]) for r in rows}


async def save_offsets(conn: asyncpg.Connection, offsets: dict[tuple[str, int], int]) -> None:
    await conn.executemany(
        "INSERT INTO offsets (topic, kafka_partition, next_offset) VALUES ($1, $2, $3) "
        "ON CONFLICT (topic, kafka_partition) DO UPDATE SET next_offset = excluded.next_offset",
        [(t, p, o) for (t, p), o in offsets.items()],
    )


async def load_watermark(conn: asyncpg.Connection) -> datetime | None:
    value = await conn.fetchval("SELECT watermark FROM projection_state")
    return value


async def save_state(
    conn: asyncpg.Connection, *, watermark: int | None, position: int, ruleset: str, version: int
) -> None:
    await conn.execute(
        "INSERT INTO projection_state (id, watermark, last_position, ruleset, ruleset_version) "
        "VALUES (true, $1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET watermark = excluded.watermark, "
        "last_position = excluded.last_position, ruleset = excluded.ruleset, "
        "ruleset_version = excluded.ruleset_version",
        to_datetime(watermark) if watermark is not None else None,
        position,
        ruleset,
        version,
    )


async def save_changes(
    conn: asyncpg.Connection, changes: list[Change], *, ruleset: str, version: int, as_of: datetime, position: int
) -> None:
    """Upsert every changed result; ledger rows only where the published numbers moved."""
    if not changes:
        return
    await conn.executemany(
        "INSERT INTO scores (unit, month, ruleset, ruleset_version, x, y, total, band, list, as_of, position, result)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (unit, month) DO UPDATE SET "
        "ruleset = excluded.ruleset, ruleset_version = excluded.ruleset_version, x = excluded.x, y = excluded.y, "
        "total = excluded.total, band = excluded.band, list = excluded.list, as_of = excluded.as_of, "
        "position = excluded.position, result = excluded.result, updated_at = now()",
        [
            (
                c.unit,
                c.month,
                ruleset,
                version,
                c.after.x,
                c.after.y,
                c.after.total,
                c.after.band,
                c.after.listing,
                as_of,
                position,
                orjson.loads(_canonical(c)),
            )
            for c in changes
        ],
    )
    moved = [c for c in changes if c.score_moved]
    await conn.executemany(
        "INSERT INTO score_ledger (unit, month, x, y, total, band, list, previous_total, as_of, archive_position)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        [
            (
                c.unit,
                c.month,
                c.after.x,
                c.after.y,
                c.after.total,
                c.after.band,
                c.after.listing,
                c.before.total if c.before else None,
                as_of,
                position,
            )
            for c in moved
        ],
    )


def _canonical(change: Change) -> bytes:
    return orjson.dumps(change.after.canonical())


async def published_keys(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    return [(r["unit"], r["month"]) for r in await conn.fetch("SELECT unit, month FROM scores")]
