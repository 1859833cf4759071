"""Claims of the units' system inventories and their review, in the scoring schema."""

from __future__ import annotations

from dataclasses import astuple, fields
from datetime import datetime
from typing import Any

import asyncpg

from scoring.service.ports import ClaimRow

_NAMES = [f.name for f in fields(ClaimRow)]
_COLUMNS = ", ".join(_NAMES)
_CLAIMED = _NAMES[:_NAMES.index("status")]  # what a new claim states; the rest is its review


def _row(r: Any) -> ClaimRow:
    return ClaimRow(**{k: r[k] for k in _NAMES})


async def insert(conn: asyncpg.Connection, row: ClaimRow) -> None:
    await conn.execute(f"INSERT INTO inventory_claims ({', '.join(_CLAIMED)}) VALUES "
                       f"({', '.join(f'${i + 1}' for i in range(len(_CLAIMED)))})", *astuple(row)[:len(_CLAIMED)])


async def entry_kind(conn: asyncpg.Connection, unit: str, entry_id: str) -> str | None:
    kind: str | None = await conn.fetchval(
        "SELECT kind FROM inventory_claims WHERE unit = $1 AND entry_id = $2 LIMIT 1", unit, entry_id)
    return kind


async def for_review(conn: asyncpg.Connection, unit: str, claim_id: str) -> ClaimRow | None:
    r = await conn.fetchrow(f"SELECT {_COLUMNS} FROM inventory_claims WHERE claim_id = $1 AND unit = $2 FOR UPDATE",
                            claim_id, unit)
    return _row(r) if r is not None else None


async def review(conn: asyncpg.Connection, claim_id: str, *, status: str, at: datetime, reviewer: str,
                 reason: str | None) -> None:
    await conn.execute("UPDATE inventory_claims SET status = $2, reviewed_at = $3, reviewer = $4, reason = $5 "
                       "WHERE claim_id = $1", claim_id, status, at, reviewer, reason)


async def all_rows(conn: asyncpg.Connection) -> list[ClaimRow]:
    return [_row(r) for r in await conn.fetch(f"SELECT {_COLUMNS} FROM inventory_claims "
                                              "ORDER BY unit, claimed_at, claim_id")]


async def of_unit(conn: asyncpg.Connection, unit: str) -> list[ClaimRow]:
    return [_row(r) for r in await conn.fetch(f"SELECT {_COLUMNS} FROM inventory_claims WHERE unit = $1 "
                                              "ORDER BY claimed_at, claim_id", unit)]
