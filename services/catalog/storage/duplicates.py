"""The bureau's decisions on candidate duplicates, and the resources candidates are drawn from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from catalog.domain.resources import Resource
from catalog.storage.resources import resource_of


class DuplicateRows:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def published_department(self) -> list[Resource]:
        rows = await self.conn.fetch(
            "SELECT * FROM resources WHERE status = 'published' AND left(code, 1) = '3' ORDER BY code")
        return [resource_of(r) for r in rows]

    async def decided_pairs(self) -> set[tuple[str, str]]:
        return {(r["a"], r["b"]) for r in await self.conn.fetch("SELECT a, b FROM duplicates")}

    async def get(self, a: str, b: str) -> dict[str, Any] | None:
        row = await self.conn.fetchrow("SELECT * FROM duplicates WHERE a = $1 AND b = $2", a, b)
        return dict(row) if row else None

    async def decide(self, *, a: str, b: str, decision: str, authoritative: str | None, reason: str | None,
                     at: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO duplicates (a, b, decision, authoritative, reason, decided_at) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            a, b, decision, authoritative, reason, at)

    async def decided(self, *, decision: str | None, code: str | None) -> list[dict[str, Any]]:
        rows = await self.conn.fetch(
            "SELECT * FROM duplicates WHERE ($1::text IS NULL OR decision = $1) "
            "AND ($2::text IS NULL OR a = $2 OR b = $2) ORDER BY decided_at, a, b", decision, code)
        return [dict(r) for r in rows]
