"""Unit directory rows."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from catalog.domain.units import Unit


def _unit(row: asyncpg.Record) -> Unit:
    return Unit(uscc=row["uscc"], name=row["name"], kind=row["kind"], division_code=row["division_code"],
                parent_unit=row["parent_unit"], absent_indicators=tuple(row["absent_indicators"]),
                exempt_from=row["exempt_from"], exempt_basis=row["exempt_basis"])


class UnitRows:
    """The unit directory on one connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def get(self, uscc: str) -> Unit | None:
        row = await self.conn.fetchrow("SELECT * FROM units WHERE uscc = $1", uscc)
        return _unit(row) if row else None

    async def upsert(self, unit: Unit, *, at: datetime) -> bool:
        """Insert or update; returns False when nothing changed (no event is due then)."""
        status = await self.conn.execute(
            "INSERT INTO units (uscc, name, kind, division_code, parent_unit, absent_indicators, registered_at, "
            "exempt_from, exempt_basis) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (uscc) DO UPDATE "
            "SET name = excluded.name, kind = excluded.kind, division_code = excluded.division_code, "
            "parent_unit = excluded.parent_unit, absent_indicators = excluded.absent_indicators, "
            "exempt_from = excluded.exempt_from, exempt_basis = excluded.exempt_basis, updated_at = now() "
            "WHERE (units.name, units.kind, units.division_code, units.parent_unit, units.absent_indicators, "
            "units.exempt_from, units.exempt_basis) IS DISTINCT FROM (excluded.name, excluded.kind, "
            "excluded.division_code, excluded.parent_unit, excluded.absent_indicators, excluded.exempt_from, "
            "excluded.exempt_basis)",
            unit.uscc, unit.name, unit.kind, unit.division_code, unit.parent_unit, list(unit.absent_indicators), at,
            unit.exempt_from, unit.exempt_basis,
        )
        return status.endswith(" 1")

    async def search(self, *, kind: str | None, parent: str | None, q: str | None) -> list[Unit]:
        rows = await self.conn.fetch(
            "SELECT * FROM units WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR parent_unit = $2) "
            "AND ($3::text IS NULL OR name LIKE '%' || $3 || '%' OR uscc LIKE '%' || $3 || '%') "
            "ORDER BY division_code, uscc", kind, parent, q)
        return [_unit(r) for r in rows]
