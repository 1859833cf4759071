"""Table exchange rows: the stored table of each resource, its changes in cursor order, the batches' reports.

A batch holds its resource's cursor row locked from the moment it reserves its positions until it commits, so
the keys it checks against cannot change under it and the changes' positions are contiguous and in commit
order: a subscriber reading `after=N` never misses a change committed later with a smaller position.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import orjson

from exchange.domain.tables import Net


async def reserve(conn: asyncpg.Connection, code: str, n: int) -> int:
    """Reserve n cursor positions (locking the resource's cursor until commit); returns the first."""
    last = await conn.fetchval(
        "INSERT INTO table_cursors (resource_code, last_seq) VALUES ($1, $2) ON CONFLICT (resource_code) DO UPDATE "
        "SET last_seq = table_cursors.last_seq + $2 RETURNING last_seq", code, n)
    return int(last) - n + 1


async def present(conn: asyncpg.Connection, code: str, keys: list[str]) -> set[str]:
    """Which of the keys are in the stored table."""
    rows = await conn.fetch("SELECT key FROM table_rows WHERE resource_code = $1 AND key = ANY($2::text[])",
                            code, keys)
    return {r["key"] for r in rows}


async def write(conn: asyncpg.Connection, code: str, batch_id: str, first: int,
                changes: list[tuple[str, str, dict[str, Any] | None]], net: Net) -> None:
    """Store the batch's changes from position `first` on and apply its net effect to the stored table."""
    await conn.copy_records_to_table(
        "table_changes", columns=["resource_code", "seq", "batch_id", "op", "key", "row"],
        records=[(code, first + i, batch_id, op, key, row) for i, (op, key, row) in enumerate(changes)])
    last = first + len(changes) - 1
    if net.inserts:
        await conn.copy_records_to_table(
            "table_rows", columns=["resource_code", "key", "row", "seq"],
            records=[(code, key, row, last) for key, row in net.inserts.items()])
    if net.updates:
        await conn.execute(
            "UPDATE table_rows t SET row = u.row::jsonb, seq = $4 FROM unnest($2::text[], $3::text[]) AS u(key, row) "
            "WHERE t.resource_code = $1 AND t.key = u.key",
            code, list(net.updates), [orjson.dumps(r).decode() for r in net.updates.values()], last)
    if net.deletes:
        await conn.execute("DELETE FROM table_rows WHERE resource_code = $1 AND key = ANY($2::text[])",
                           code, list(net.deletes))


async def record_batch(conn: asyncpg.Connection, *, batch_id: str, code: str, provider: str, at: datetime,
                       fmt: str, size: int, accepted: bool, counts: dict[str, int], errors: int,
                       report: dict[str, Any], first_seq: int | None, last_seq: int | None) -> None:
    await conn.execute(
        "INSERT INTO table_batches (id, resource_code, provider, received_at, format, bytes, accepted, rows, "
        "inserted, updated, deleted, errors, report, first_seq, last_seq) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        batch_id, code, provider, at, fmt, size, accepted, counts["rows"], counts["inserted"], counts["updated"],
        counts["deleted"], errors, report, first_seq, last_seq)


_BATCH = ("id, resource_code, provider, received_at, format, bytes, accepted, rows, inserted, updated, deleted, "
          "errors, first_seq, last_seq")


async def batches(conn: asyncpg.Connection, code: str, limit: int, before: datetime | None) -> list[asyncpg.Record]:
    """The resource's batches, newest first (without their reports)."""
    return await conn.fetch(
        f"SELECT {_BATCH} FROM table_batches WHERE resource_code = $1 AND ($3::timestamptz IS NULL OR "
        "received_at < $3) ORDER BY received_at DESC, id DESC LIMIT $2", code, limit, before)


async def batch(conn: asyncpg.Connection, code: str, batch_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_BATCH}, report FROM table_batches WHERE resource_code = $1 AND id = $2",
                               code, batch_id)


async def changes(conn: asyncpg.Connection, code: str, after: int, limit: int) -> list[asyncpg.Record]:
    """Changes after the cursor position, in order; rows as JSON text (sent on as they are)."""
    return await conn.fetch(
        "SELECT c.seq, c.op, c.key, c.row::text AS row, c.batch_id, b.received_at FROM table_changes c "
        "JOIN table_batches b ON b.id = c.batch_id WHERE c.resource_code = $1 AND c.seq > $2 "
        "ORDER BY c.seq LIMIT $3", code, after, limit)


async def delivered_at(conn: asyncpg.Connection, code: str, delivery_id: str) -> datetime | None:
    """When the resource's accepted batch or file version with this id was delivered."""
    return await conn.fetchval(
        "SELECT received_at FROM table_batches WHERE resource_code = $1 AND id = $2 AND accepted UNION ALL "
        "SELECT uploaded_at FROM file_versions WHERE resource_code = $1 AND id = $2", code, delivery_id)


async def last_seq(conn: asyncpg.Connection, code: str) -> int:
    return int(await conn.fetchval("SELECT coalesce((SELECT last_seq FROM table_cursors WHERE resource_code = $1), 0)",
                                   code))
