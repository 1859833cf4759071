"""File versions of file resources (the bytes are in the content-addressed store, by SHA-256)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

_COLUMNS = "id, resource_code, version, sha256, size, name, media_type, provider, uploaded_at"


async def latest(conn: asyncpg.Connection, code: str, *, lock: bool = False) -> asyncpg.Record | None:
    """The newest version; `lock`: also hold the resource's uploads back until commit (versions stay gapless)."""
    if lock:
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('file:' || $1, 0))", code)
    return await conn.fetchrow(f"SELECT {_COLUMNS} FROM file_versions WHERE resource_code = $1 "
                               "ORDER BY version DESC LIMIT 1", code)


async def insert(conn: asyncpg.Connection, *, file_id: str, code: str, version: int, sha256: str, size: int,
                 name: str, media_type: str, provider: str, at: datetime) -> None:
    await conn.execute(f"INSERT INTO file_versions ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                       file_id, code, version, sha256, size, name, media_type, provider, at)


async def versions(conn: asyncpg.Connection, code: str, limit: int) -> list[asyncpg.Record]:
    return list(await conn.fetch(f"SELECT {_COLUMNS} FROM file_versions WHERE resource_code = $1 "
                                 "ORDER BY version DESC LIMIT $2", code, limit))


async def version(conn: asyncpg.Connection, code: str, number: int | None) -> asyncpg.Record | None:
    """One version (None: the latest)."""
    if number is None:
        return await latest(conn, code)
    return await conn.fetchrow(f"SELECT {_COLUMNS} FROM file_versions WHERE resource_code = $1 AND version = $2",
                               code, number)
