"""Database pool per service schema, and a versioned SQL migrations runner.

Each service owns one PostgreSQL schema. Migrations are files `NNN_name.sql`
applied in order, each in its own transaction, recorded with a checksum so a
changed file that was already applied is an error rather than a silent drift.
The platform's own tables (outbox, inbox) are migrations too, applied first.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import asyncpg

PLATFORM_MIGRATIONS = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
_SCHEMA = re.compile(r"^[a-z][a-z0-9_]*$")


class MigrationError(RuntimeError):
    pass


def check_schema_name(schema: str) -> str:
    if not _SCHEMA.match(schema):
        raise ValueError(f"invalid schema name {schema!r}")
    return schema


async def ensure_database(url: str) -> None:
    """Create the database named in `url` if the server does not have it yet."""
    base, _, name = url.rpartition("/")
    name = name.split("?")[0]
    if not name or name == "postgres":
        return
    conn = await asyncpg.connect(f"{base}/postgres")
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _init_connection(conn: asyncpg.Connection) -> None:
    import orjson

    # Binary format (jsonb: a version byte, then the JSON text) so that COPY can carry JSON columns too.
    await conn.set_type_codec(
        "jsonb", encoder=lambda v: b"\x01" + orjson.dumps(v), decoder=lambda b: orjson.loads(b[1:]),
        schema="pg_catalog", format="binary",
    )
    await conn.set_type_codec(
        "json", encoder=orjson.dumps, decoder=orjson.loads, schema="pg_catalog", format="binary"
    )


def read_snapshot(conn: asyncpg.Connection) -> Any:
    """A read-only transaction that sees one snapshot: for a read of several statements, which at the default
    isolation (read committed) may each see what another transaction committed in between."""
    return conn.transaction(isolation="repeatable_read", readonly=True)


def json_value(value: Any) -> Any:
    """A JSON column's value, whether it came through a pool connection (decoded by the codec above)
    or through a bare connection or a text cast (still JSON text)."""
    import orjson

    return orjson.loads(value) if isinstance(value, str | bytes) else value


async def create_pool(url: str, schema: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    check_schema_name(schema)
    pool = await asyncpg.create_pool(
        url, min_size=min_size, max_size=max_size, init=_init_connection,
        server_settings={"search_path": f"{schema},public", "application_name": f"hub-{schema}"},
    )
    assert pool is not None
    return pool


def _migration_files(directory: Path) -> list[tuple[int, str, str]]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path}: migration files are named NNN_snake_case.sql")
        found.append((int(match.group(1)), path.name, path.read_text(encoding="utf-8")))
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"{directory}: two migrations share a version number")
    return found


async def migrate(conn: asyncpg.Connection, schema: str, directories: list[tuple[str, Path]]) -> list[str]:
    """Apply pending migrations of each (component, directory) to `schema`; return what was applied."""
    check_schema_name(schema)
    applied: list[str] = []
    # One migrator at a time per schema, even with several instances starting together.
    await conn.execute("SELECT pg_advisory_lock(hashtext($1))", f"migrate:{schema}")
    try:
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        await conn.execute(
            f"""CREATE TABLE IF NOT EXISTS {schema}.schema_migrations (
                component text NOT NULL, version int NOT NULL, name text NOT NULL,
                checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (component, version))"""
        )
        for component, directory in directories:
            done: dict[int, Any] = {
                r["version"]: r
                for r in await conn.fetch(
                    f"SELECT version, name, checksum FROM {schema}.schema_migrations WHERE component = $1",
                    component,
                )
            }
            for version, name, sql in _migration_files(directory):
                checksum = hashlib.sha256(sql.encode()).hexdigest()
                if version in done:
                    if done[version]["checksum"] != checksum:
                        raise MigrationError(f"{component}/{name} changed after it was applied to {schema}")
                    continue
                async with conn.transaction():
                    await conn.execute(f"SET LOCAL search_path TO {schema}, public")
                    await conn.execute(sql)
                    await conn.execute(
                        f"INSERT INTO {schema}.schema_migrations (component, version, name, checksum) "
                        "VALUES ($1, $2, $3, $4)",
                        component, version, name, checksum,
                    )
                applied.append(f"{component}/{name}")
    finally:
        await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", f"migrate:{schema}")
    return applied


async def migrate_service(url: str, schema: str, service_migrations: Path) -> list[str]:
    await ensure_database(url)
    conn = await asyncpg.connect(url)
    try:
        return await migrate(conn, schema, [("platform", PLATFORM_MIGRATIONS), (schema, service_migrations)])
    finally:
        await conn.close()
