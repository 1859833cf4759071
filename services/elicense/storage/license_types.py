"""The license-type registry and its proposals in PostgreSQL (see domain/license_types.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from hubkit.db import json_value

from elicense.domain.license_types import FieldSpec, LicenseType, fields_doc
from elicense.service.ports import ProposalRow

_PROPOSAL = ("proposal_id, proposer, change_of, name, sector, holder_kind, fields, status, proposed_at, proposed_by, "
             "due_at, reviewed_at, reviewed_by, reason, field_reasons, code, version, rounds")


def fields_of(value: Any) -> tuple[FieldSpec, ...]:
    return tuple(FieldSpec(f["name"], f["label"], f.get("kind", "text"), bool(f.get("required", False)))
                 for f in json_value(value))


def _type(r: asyncpg.Record) -> LicenseType:
    return LicenseType(r["code"], r["name"], r["sector"], r["holder_kind"], fields_of(r["fields"]), r["version"],
                       "registered")


def _proposal(r: asyncpg.Record) -> ProposalRow:
    return ProposalRow(**{**dict(r), "fields": fields_of(r["fields"]),
                          "field_reasons": dict(json_value(r["field_reasons"]))})


async def stamp(conn: asyncpg.Connection) -> int:
    """Changes whenever a version is registered (versions are only ever added)."""
    return int(await conn.fetchval("SELECT count(*) FROM license_type_versions"))


async def latest(conn: asyncpg.Connection) -> list[LicenseType]:
    """Each registered code at its newest version."""
    return [_type(r) for r in await conn.fetch(
        "SELECT DISTINCT ON (code) code, version, name, sector, holder_kind, fields FROM license_type_versions "
        "ORDER BY code, version DESC")]


async def versions(conn: asyncpg.Connection, code: str) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT version, name, fields, proposal_id, registered_at, registered_by "
                            "FROM license_type_versions WHERE code = $1 ORDER BY version", code)
    return [{**dict(r), "fields": fields_doc(fields_of(r["fields"]))} for r in rows]


async def insert_version(conn: asyncpg.Connection, kind: LicenseType, proposal_id: str, at: datetime,
                         by: str) -> None:
    await conn.execute(
        "INSERT INTO license_type_versions (code, version, name, sector, holder_kind, fields, proposal_id, "
        "registered_at, registered_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", kind.code, kind.version,
        kind.name, kind.sector, kind.holder_kind, fields_doc(kind.fields), proposal_id, at, by)


async def codes_with_prefix(conn: asyncpg.Connection, prefix: str) -> set[str]:
    return {r[0] for r in await conn.fetch("SELECT DISTINCT code FROM license_type_versions WHERE "
                                           "left(code, 18) = $1", prefix)}


async def insert_proposal(conn: asyncpg.Connection, p: ProposalRow) -> None:
    await conn.execute(
        "INSERT INTO license_type_proposals (proposal_id, proposer, change_of, name, sector, holder_kind, fields, "
        "status, proposed_at, proposed_by, due_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        p.proposal_id, p.proposer, p.change_of, p.name, p.sector, p.holder_kind, fields_doc(p.fields), p.status,
        p.proposed_at, p.proposed_by, p.due_at)


async def proposal(conn: asyncpg.Connection, proposal_id: str, *, lock: bool = False) -> ProposalRow | None:
    r = await conn.fetchrow(f"SELECT {_PROPOSAL} FROM license_type_proposals WHERE proposal_id = $1"
                            + (" FOR UPDATE" if lock else ""), proposal_id)
    return _proposal(r) if r is not None else None


async def open_change(conn: asyncpg.Connection, code: str) -> str | None:
    return await conn.fetchval("SELECT proposal_id FROM license_type_proposals WHERE change_of = $1 "
                               "AND status = 'proposed'", code)


async def save_proposal(conn: asyncpg.Connection, p: ProposalRow) -> None:
    """A proposal's state after a review or a resubmission."""
    await conn.execute(
        "UPDATE license_type_proposals SET name = $2, sector = $3, holder_kind = $4, fields = $5, status = $6, "
        "proposed_at = $7, proposed_by = $8, due_at = $9, reviewed_at = $10, reviewed_by = $11, reason = $12, "
        "field_reasons = $13, code = $14, version = $15, rounds = $16 WHERE proposal_id = $1",
        p.proposal_id, p.name, p.sector, p.holder_kind, fields_doc(p.fields), p.status, p.proposed_at,
        p.proposed_by, p.due_at, p.reviewed_at, p.reviewed_by, p.reason, p.field_reasons, p.code, p.version,
        p.rounds)


async def proposals(conn: asyncpg.Connection, *, proposer: str | None, status: str | None,
                    limit: int) -> list[ProposalRow]:
    rows = await conn.fetch(
        f"SELECT {_PROPOSAL} FROM license_type_proposals WHERE ($1::text IS NULL OR proposer = $1) "
        "AND ($2::text IS NULL OR status = $2) ORDER BY status = 'proposed' DESC, due_at, proposal_id LIMIT $3",
        proposer, status, limit)
    return [_proposal(r) for r in rows]
