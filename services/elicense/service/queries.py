"""The e-license library's reads. Who may see a license's holder and file is decided here too
(`may_see_personal`), since it needs the issuer's use authorisations."""

from __future__ import annotations

from typing import Any

import asyncpg
from hubkit.auth import Principal, Role

from elicense.domain.service_items import ServiceItem
from elicense.service.ports import ProposalRow
from elicense.storage import anomalies as anomaly_rows
from elicense.storage import license_types as type_rows
from elicense.storage import licenses as repo
from elicense.storage import service_items as item_rows

_WITH_FILE = ("SELECT l.*, f.format AS file_format, f.size AS file_size FROM licenses l "
              "LEFT JOIN files f ON f.sha256 = l.file_sha256 ")


async def may_see_personal(conn: Any, principal: Principal, issuer: str, license_type: str) -> bool:
    """Holder names and license files: the issuer, units it authorised to use its licenses of that
    type, the bureau and auditors."""
    if principal.role in (Role.operator, Role.auditor):
        return True
    return principal.role is Role.department and await repo.authorised(conn, issuer, principal.unit or "",
                                                                       license_type)


async def license_with_signatures(pool: asyncpg.Pool, license_id: str) -> tuple[Any, list[dict[str, Any]] | None]:
    """(the license row or None, the checks of its file's signatures, or None without a file)."""
    async with pool.acquire() as conn:
        row = await repo.get(conn, license_id)
        file = await repo.file_row(conn, row["file_sha256"]) if row is not None and row["file_sha256"] else None
    return row, repo.signatures_of(file) if file is not None else None


async def by_number(pool: asyncpg.Pool, principal: Principal, number: str, license_type: str | None
                    ) -> list[tuple[Any, bool]]:
    """Every license with that number, newest first, each with whether `principal` may see its holder."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(_WITH_FILE + "WHERE l.number = $1 AND ($2::text IS NULL OR l.license_type = $2) "
                                "ORDER BY l.issue_date DESC, l.license_id LIMIT 50", number, license_type)
        return [(r, await may_see_personal(conn, principal, r["issuer"], r["license_type"])) for r in rows]


async def by_holder(pool: asyncpg.Pool, principal: Principal, holder_hash: bytes, license_type: str | None
                    ) -> list[Any]:
    """A holder's licenses that `principal` may see, newest first."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(_WITH_FILE + "WHERE l.holder_hash = $1 AND ($2::text IS NULL OR "
                                "l.license_type = $2) ORDER BY l.issue_date DESC LIMIT 200", holder_hash, license_type)
        return [r for r in rows if await may_see_personal(conn, principal, r["issuer"], r["license_type"])]


async def downloadable(pool: asyncpg.Pool, principal: Principal, license_id: str) -> tuple[Any, bool]:
    """(the license row or None, whether `principal` may have its file)."""
    async with pool.acquire() as conn:
        row = await repo.get(conn, license_id)
        allowed = row is not None and await may_see_personal(conn, principal, row["issuer"], row["license_type"])
    return row, allowed


async def claim(pool: asyncpg.Pool, unit: str) -> Any:
    async with pool.acquire() as conn:
        return await conn.fetchrow("SELECT * FROM claims WHERE unit = $1", unit)


async def authorisations(pool: asyncpg.Pool, unit: str | None) -> list[Any]:
    """In force; of `unit` (granted or held) when given."""
    async with pool.acquire() as conn:
        return list(await conn.fetch(
            "SELECT * FROM use_authorisations WHERE revoked_at IS NULL "
            "AND ($1::text IS NULL OR issuer = $1 OR user_unit = $1) ORDER BY issuer, user_unit LIMIT 5000", unit))


async def uses(pool: asyncpg.Pool, unit: str | None, license_id: str | None) -> list[Any]:
    """Uses, newest first: of `unit` (its uses and the uses of its licenses) when given."""
    async with pool.acquire() as conn:
        return list(await conn.fetch(
            "SELECT u.*, l.issuer, l.sealed FROM uses u JOIN licenses l USING (license_id) "
            "WHERE ($1::text IS NULL OR u.user_unit = $1 OR l.issuer = $1) "
            "AND ($2::text IS NULL OR u.license_id = $2) ORDER BY u.used_at DESC LIMIT 500", unit, license_id))


ISSUER_STATS = """
WITH pushed AS (
    SELECT issuer, count(*) AS licenses,
           count(*) FILTER (WHERE push_mode = 'stock') AS stock_pushed,
           count(*) FILTER (WHERE file_sha256 IS NOT NULL) AS with_file,
           count(*) FILTER (WHERE sealed) AS sealed,
           count(*) FILTER (WHERE status = 'revoked') AS revoked,
           array_agg(DISTINCT license_type) AS types,
           max(updated_at) FILTER (WHERE push_mode = 'auto_incremental') AS last_auto_push
    FROM licenses WHERE ($1::text IS NULL OR issuer = $1) GROUP BY issuer
)
SELECT coalesce(c.unit, p.issuer) AS issuer, c.license_types AS claimed, c.declared_stock,
       p.licenses, p.stock_pushed, p.with_file, p.sealed, p.revoked, p.types, p.last_auto_push
FROM claims c FULL JOIN pushed p ON p.issuer = c.unit
WHERE ($1::text IS NULL OR coalesce(c.unit, p.issuer) = $1)
ORDER BY 1
"""


async def issuer_stats(pool: asyncpg.Pool, unit: str | None) -> list[Any]:
    async with pool.acquire() as conn:
        return list(await conn.fetch(ISSUER_STATS, unit))


async def anomalies(pool: asyncpg.Pool, issuer: str | None, status: str | None, limit: int) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        return await anomaly_rows.listed(conn, issuer=issuer, status=status, limit=limit)


async def anomaly_stats(pool: asyncpg.Pool, issuer: str | None) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        return await anomaly_rows.stats(conn, issuer)


async def type_proposals(pool: asyncpg.Pool, *, proposer: str | None, status: str | None,
                         limit: int) -> list[ProposalRow]:
    async with pool.acquire() as conn:
        return await type_rows.proposals(conn, proposer=proposer, status=status, limit=limit)


async def type_versions(pool: asyncpg.Pool, code: str) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        return await type_rows.versions(conn, code)


async def service_items(pool: asyncpg.Pool, handling_unit: str | None, license_type: str | None) -> list[ServiceItem]:
    async with pool.acquire() as conn:
        return await item_rows.listed(conn, handling_unit=handling_unit, license_type=license_type)


async def service_item(pool: asyncpg.Pool, code: str) -> ServiceItem | None:
    async with pool.acquire() as conn:
        return await item_rows.get(conn, code)


async def service_item_stats(pool: asyncpg.Pool, handling_unit: str | None) -> dict[str, list[dict[str, Any]]]:
    async with pool.acquire() as conn:
        return await item_rows.use_stats(conn, handling_unit)
