"""Service items and their statistics of use in PostgreSQL (see domain/service_items.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from hubkit.db import json_value

from elicense.domain.service_items import Acceptance, ServiceItem


def _item(r: asyncpg.Record) -> ServiceItem:
    return ServiceItem(r["code"], r["name"], r["handling_unit"],
                       tuple(Acceptance(a["license_type"], tuple(a["materials"])) for a in json_value(r["accepts"])),
                       r["version"])


def accepts_json(item: ServiceItem) -> list[dict[str, Any]]:
    return [{"license_type": a.license_type, "materials": list(a.materials)} for a in item.accepts]


async def get(conn: asyncpg.Connection, code: str, *, lock: bool = False) -> ServiceItem | None:
    r = await conn.fetchrow("SELECT * FROM service_items WHERE code = $1" + (" FOR UPDATE" if lock else ""), code)
    return _item(r) if r is not None else None


async def save(conn: asyncpg.Connection, item: ServiceItem, at: datetime, by: str) -> None:
    await conn.execute(
        "INSERT INTO service_items (code, name, handling_unit, accepts, version, updated_at, updated_by) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO UPDATE SET name = excluded.name, "
        "handling_unit = excluded.handling_unit, accepts = excluded.accepts, version = excluded.version, "
        "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        item.code, item.name, item.handling_unit, accepts_json(item), item.version, at, by)


async def listed(conn: asyncpg.Connection, *, handling_unit: str | None, license_type: str | None
                 ) -> list[ServiceItem]:
    rows = await conn.fetch(
        "SELECT * FROM service_items WHERE ($1::text IS NULL OR handling_unit = $1) AND ($2::text IS NULL OR "
        "accepts @> jsonb_build_array(jsonb_build_object('license_type', $2::text))) ORDER BY code",
        handling_unit, license_type)
    return [_item(r) for r in rows]


async def use_stats(conn: asyncpg.Connection, handling_unit: str | None) -> dict[str, list[dict[str, Any]]]:
    """Uses and materials waived per listed item and license type, per license type, and of unlisted items."""
    by_item = await conn.fetch(
        "SELECT s.code AS item_code, s.name, s.handling_unit, l.license_type, count(u.use_id) AS uses, "
        "coalesce(sum(u.waived_materials), 0) AS materials_waived FROM uses u JOIN licenses l USING (license_id) "
        "JOIN service_items s ON s.code = u.item_code WHERE ($1::text IS NULL OR s.handling_unit = $1) "
        "GROUP BY s.code, s.name, s.handling_unit, l.license_type ORDER BY s.code, l.license_type", handling_unit)
    by_type = await conn.fetch(
        "SELECT l.license_type, count(*) AS uses, coalesce(sum(u.waived_materials), 0) AS materials_waived, "
        "count(*) FILTER (WHERE u.item_code IS NOT NULL) AS listed_uses FROM uses u JOIN licenses l "
        "USING (license_id) LEFT JOIN service_items s ON s.code = u.item_code "
        "WHERE ($1::text IS NULL OR s.handling_unit = $1) GROUP BY l.license_type ORDER BY l.license_type",
        handling_unit)
    unlisted = await conn.fetch(
        "SELECT u.item, count(*) AS uses, coalesce(sum(u.waived_materials), 0) AS materials_waived FROM uses u "
        "WHERE u.item_code IS NULL AND $1::text IS NULL GROUP BY u.item ORDER BY uses DESC, u.item LIMIT 100",
        handling_unit)
    return {"by_item": [dict(r) for r in by_item], "by_type": [dict(r) for r in by_type],
            "unlisted": [dict(r) for r in unlisted]}
