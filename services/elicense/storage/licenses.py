"""Licenses, files, claims and uses in PostgreSQL (schema `elicense`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
from hubkit.db import json_value

from elicense.domain.files import VerifiedFile
from elicense.domain.licenses import CheckedLicense

COLUMNS = ["license_id", "issuer", "license_type", "number", "holder_name", "holder_hash", "holder_mask",
           "issue_date", "valid_from", "valid_until", "authority", "status", "push_mode", "fingerprint",
           "pushed_at", "updated_at", "fields", "type_version"]


def record(lic: CheckedLicense, issuer: str, mode: str, at: datetime) -> tuple[Any, ...]:
    return (lic.license_id, issuer, lic.license_type, lic.number, lic.holder_name, lic.holder_hash,
            lic.holder_mask, lic.issue_date, lic.valid_from, lic.valid_until, lic.authority, lic.status, mode,
            lic.fingerprint, at, at, lic.fields, lic.type_version)


async def bulk_insert(conn: asyncpg.Connection, rows: Sequence[tuple[Any, ...]]) -> list[tuple[str, str]]:
    """COPY the rows into a session temp table, then move the new ones in; (license id, type) of each
    license inserted. Existing ids are left alone (a re-run import is a no-op)."""
    await conn.execute("CREATE TEMP TABLE IF NOT EXISTS incoming_licenses "
                       "(LIKE licenses INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
    await conn.copy_records_to_table("incoming_licenses", records=rows, columns=COLUMNS)
    cols = ", ".join(COLUMNS)
    inserted = await conn.fetch(
        f"INSERT INTO licenses ({cols}) SELECT {cols} FROM incoming_licenses "
        "ON CONFLICT (license_id) DO NOTHING RETURNING license_id, license_type")
    return [(r[0], r[1]) for r in inserted]


async def owners(conn: asyncpg.Connection, ids: Sequence[str]) -> dict[str, str]:
    rows = await conn.fetch("SELECT license_id, issuer FROM licenses WHERE license_id = ANY($1)", list(ids))
    return {r[0]: r[1] for r in rows}


async def get(conn: asyncpg.Connection, license_id: str, *, lock: bool = False) -> asyncpg.Record | None:
    """The license; `lock`: held until the transaction ends, also when there is none yet, so that the same push
    arriving twice at once (at two replicas) is one insert and one 'unchanged', never a unique violation."""
    if lock:  # a row lock cannot hold a row that does not exist: the id's advisory lock can
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('license:' || $1, 0))", license_id)
    return await conn.fetchrow(
        "SELECT l.*, f.format AS file_format, f.size AS file_size FROM licenses l "
        "LEFT JOIN files f ON f.sha256 = l.file_sha256 WHERE l.license_id = $1" + (" FOR UPDATE OF l" if lock else ""),
        license_id)


async def insert_one(conn: asyncpg.Connection, lic: CheckedLicense, issuer: str, mode: str, at: datetime,
                     file_sha256: str | None, sealed: bool) -> None:
    cols = ", ".join(COLUMNS)
    marks = ", ".join(f"${i}" for i in range(1, len(COLUMNS) + 1))
    await conn.execute(
        f"INSERT INTO licenses ({cols}, file_sha256, sealed) VALUES ({marks}, ${len(COLUMNS) + 1}, "
        f"${len(COLUMNS) + 2})", *record(lic, issuer, mode, at), file_sha256, sealed)


async def update_one(conn: asyncpg.Connection, lic: CheckedLicense, at: datetime, file_sha256: str | None,
                     sealed: bool) -> None:
    await conn.execute(
        "UPDATE licenses SET license_type = $2, number = $3, holder_name = $4, holder_hash = $5, holder_mask = $6, "
        "issue_date = $7, valid_from = $8, valid_until = $9, authority = $10, status = $11, fingerprint = $12, "
        "file_sha256 = $13, sealed = $14, updated_at = $15, fields = $16, type_version = $17, "
        "revoked_at = CASE WHEN $11 = 'revoked' THEN coalesce(revoked_at, $15) END WHERE license_id = $1",
        lic.license_id, lic.license_type, lic.number, lic.holder_name, lic.holder_hash, lic.holder_mask,
        lic.issue_date, lic.valid_from, lic.valid_until, lic.authority, lic.status, lic.fingerprint,
        file_sha256, sealed, at, lic.fields, lic.type_version)


async def save_file(conn: asyncpg.Connection, f: VerifiedFile) -> None:
    signatures = [s.as_dict() for s in f.signatures]
    await conn.execute(
        "INSERT INTO files (sha256, format, size, sealed, pages, signatures) VALUES ($1, $2, $3, $4, $5, $6) "
        "ON CONFLICT (sha256) DO NOTHING", f.sha256, f.format, f.size, f.sealed, f.pages, signatures)


async def file_row(conn: asyncpg.Connection, sha256: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM files WHERE sha256 = $1", sha256)


def signatures_of(row: asyncpg.Record) -> list[dict[str, Any]]:
    return list(json_value(row["signatures"]))


async def set_file(conn: asyncpg.Connection, license_id: str, sha256: str, sealed: bool, at: datetime) -> None:
    await conn.execute("UPDATE licenses SET file_sha256 = $2, sealed = $3, updated_at = $4 WHERE license_id = $1",
                       license_id, sha256, sealed, at)


async def revoke(conn: asyncpg.Connection, license_id: str, reason: str, at: datetime) -> None:
    await conn.execute("UPDATE licenses SET status = 'revoked', revoked_at = $2, revoke_reason = $3, "
                       "updated_at = $2 WHERE license_id = $1", license_id, at, reason)


async def claim_for_update(conn: asyncpg.Connection, unit: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT license_types, stock, declared_stock FROM claims WHERE unit = $1 FOR UPDATE",
                               unit)


async def save_claim(conn: asyncpg.Connection, unit: str, license_types: list[str], stock: dict[str, int],
                     declared: int | None, at: datetime) -> None:
    await conn.execute(
        "INSERT INTO claims (unit, license_types, stock, declared_stock, claimed_at) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (unit) DO UPDATE SET license_types = excluded.license_types, stock = excluded.stock, "
        "declared_stock = excluded.declared_stock, claimed_at = excluded.claimed_at",
        unit, license_types, stock, declared, at)


async def grant_use(conn: asyncpg.Connection, issuer: str, user_unit: str, license_types: list[str] | None,
                    by: str, at: datetime) -> None:
    await conn.execute(
        "INSERT INTO use_authorisations (issuer, user_unit, license_types, granted_by, granted_at) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (issuer, user_unit) DO UPDATE SET "
        "license_types = excluded.license_types, granted_by = excluded.granted_by, "
        "granted_at = excluded.granted_at, revoked_at = NULL, revoked_by = NULL",
        issuer, user_unit, license_types, by, at)


async def withdraw_use(conn: asyncpg.Connection, issuer: str, user_unit: str, by: str, at: datetime) -> bool:
    """False when no authorisation was in force."""
    status = await conn.execute(
        "UPDATE use_authorisations SET revoked_at = $3, revoked_by = $4 "
        "WHERE issuer = $1 AND user_unit = $2 AND revoked_at IS NULL", issuer, user_unit, at, by)
    return not status.endswith(" 0")


async def authorised(conn: asyncpg.Connection, issuer: str, user: str, license_type: str) -> bool:
    """May `user` use a license of this type issued by `issuer`? (An issuer may use its own.)"""
    if issuer == user:
        return True
    return bool(await conn.fetchval(
        "SELECT true FROM use_authorisations WHERE issuer = $1 AND user_unit = $2 AND revoked_at IS NULL "
        "AND (license_types IS NULL OR $3 = ANY(license_types))", issuer, user, license_type))


async def use(conn: asyncpg.Connection, use_id: str, *, lock: bool = False) -> asyncpg.Record | None:
    """A recorded use; `lock`: the use id is held until the transaction ends (as `get` holds a license id)."""
    if lock:
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('use:' || $1, 0))", use_id)
    return await conn.fetchrow("SELECT * FROM uses WHERE use_id = $1", use_id)


async def insert_use(conn: asyncpg.Connection, *, use_id: str, license_id: str, user_unit: str, item: str,
                     waived_materials: int, at: datetime, item_code: str | None = None,
                     materials: tuple[str, ...] = ()) -> None:
    await conn.execute("INSERT INTO uses (use_id, license_id, user_unit, item, waived_materials, used_at, item_code, "
                       "materials) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", use_id, license_id, user_unit, item,
                       waived_materials, at, item_code, list(materials))
