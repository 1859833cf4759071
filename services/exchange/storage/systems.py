"""A subscriber's calling systems and the hashes of their keys."""

from __future__ import annotations

from datetime import datetime

import asyncpg

_COLUMNS = "id, unit, name, key_hint, created_at, rotated_at, revoked_at"


async def insert(conn: asyncpg.Connection, *, system_id: str, unit: str, name: str, key_hash: bytes, hint: str,
                 at: datetime) -> asyncpg.Record | None:
    """None when the unit already has a system of that name."""
    return await conn.fetchrow(
        "INSERT INTO systems (id, unit, name, key_hash, key_hint, created_at) VALUES ($1, $2, $3, $4, $5, $6) "
        f"ON CONFLICT (unit, name) DO NOTHING RETURNING {_COLUMNS}", system_id, unit, name, key_hash, hint, at)


async def get(conn: asyncpg.Connection, system_id: str, *, for_update: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_COLUMNS} FROM systems WHERE id = $1" + (" FOR UPDATE" if for_update else ""),
                               system_id)


async def of_unit(conn: asyncpg.Connection, unit: str | None) -> list[asyncpg.Record]:
    return list(await conn.fetch(f"SELECT {_COLUMNS} FROM systems WHERE $1::text IS NULL OR unit = $1 "
                                 "ORDER BY unit, name", unit))


async def rotate(conn: asyncpg.Connection, system_id: str, key_hash: bytes, hint: str, at: datetime) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        f"UPDATE systems SET key_hash = $2, key_hint = $3, rotated_at = $4 WHERE id = $1 RETURNING {_COLUMNS}",
        system_id, key_hash, hint, at)
    return row


async def revoke(conn: asyncpg.Connection, system_id: str, at: datetime) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        f"UPDATE systems SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1 RETURNING {_COLUMNS}", system_id, at)
    return row


async def by_key(conn: asyncpg.Connection, key_hash: bytes) -> asyncpg.Record | None:
    """The live system holding this key (a revoked system's key, or a rotated-away key, finds nothing)."""
    return await conn.fetchrow("SELECT id, unit, name FROM systems WHERE key_hash = $1 AND revoked_at IS NULL",
                               key_hash)
