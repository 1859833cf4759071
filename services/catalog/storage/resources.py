"""Catalog rows: resources, their metadata versions and history, requirement batches."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import asyncpg
import orjson
from contracts import code_lists
from contracts.code_lists import CatalogKind
from hubkit.db import json_value

from catalog.domain.resources import Metadata, Mount, Resource, Status

_SELECT_AS_OF = """
SELECT r.code, r.provider, 'published' AS status, v.version, v.metadata, r.published_at,
       m.detail ->> 'kind' AS mount_kind, m.detail -> 'access' AS mount_access, m.at AS mounted_at,
       (SELECT max(h.at) FROM resource_history h
         WHERE h.code = r.code AND h.action IN ('updated', 'mounted') AND h.at <= $1
           AND h.at >= m.at) AS last_update_at,
       lower(r.code || ' ' || v.metadata::text) AS search_text
FROM resources r
JOIN LATERAL (SELECT * FROM resource_versions v WHERE v.code = r.code AND v.valid_from <= $1
              ORDER BY v.valid_from DESC, v.version DESC LIMIT 1) v ON true
LEFT JOIN LATERAL (SELECT * FROM resource_history h WHERE h.code = r.code
                   AND h.action IN ('mounted', 'unmounted') AND h.at <= $1
                   ORDER BY h.at DESC, h.id DESC LIMIT 1) mm ON true
LEFT JOIN LATERAL (SELECT mm.at, mm.detail WHERE mm.action = 'mounted') m ON true
WHERE r.published_at <= $1
"""



# JSON goes in as text cast to jsonb in SQL (`$n::text::jsonb`): a str bound straight to a jsonb parameter would
# be stored as a JSON *string* by the pool's codec, and `metadata ->> 'share_type'` would find nothing in it.


def resource_of(row: asyncpg.Record) -> Resource:
    return Resource(
        code=row["code"], provider=row["provider"], status=row["status"], version=row["version"],
        metadata=Metadata.model_validate(json_value(row["metadata"])), published_at=row["published_at"],
        mount_kind=row["mount_kind"], mount_access=json_value(row["mount_access"]), mounted_at=row["mounted_at"],
        last_update_at=row["last_update_at"],
    )


def _search_text(code: str, m: Metadata) -> str:
    parts = [code, m.name, m.summary or "", m.domain or "", m.classification or "", *(i.name for i in m.items)]
    return " ".join(parts).lower()


class ResourceRows:
    """Resources, their versions and history, requirement batches, on one connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def lock_serials(self, provider: str, division: str) -> None:
        """Serialise code assignment per unit and division until the transaction ends."""
        await self.conn.execute("SELECT pg_advisory_xact_lock(hashtext('catalog.serial:' || $1 || $2))",
                                provider, division)

    async def next_serial(self, provider: str, division: str, head: str = "330045") -> int:
        """The next serial of the unit's codes in a division and catalog (`head`: 类 + 项 + 目)."""
        value = await self.conn.fetchval(
            "SELECT coalesce(max(serial), 0) + 1 FROM resources WHERE provider = $1 AND division_code = $2 "
            "AND left(code, 6) = $3", provider, division, head)
        return int(value)

    async def insert(self, *, code: str, provider: str, division: str, serial: int,
                     metadata: Metadata, at: datetime) -> None:
        doc = metadata.model_dump_json()
        await self.conn.execute(
            "INSERT INTO resources (code, provider, division_code, serial, status, version, metadata, created_at, "
            "search_text) VALUES ($1, $2, $3, $4, 'draft', 1, $5::text::jsonb, $6, $7)",
            code, provider, division, serial, doc, at, _search_text(code, metadata))
        await self.conn.execute(
            "INSERT INTO resource_versions (code, version, valid_from, metadata) VALUES ($1, 1, $2, $3::text::jsonb)",
            code, at, doc)

    async def exists(self, code: str) -> bool:
        return bool(await self.conn.fetchval("SELECT EXISTS (SELECT 1 FROM resources WHERE code = $1)", code))

    async def get(self, code: str, *, for_update: bool = False) -> Resource | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self.conn.fetchrow("SELECT * FROM resources WHERE code = $1" + lock, code)
        return resource_of(row) if row else None

    async def get_as_of(self, code: str, at: datetime) -> Resource | None:
        row = await self.conn.fetchrow(_SELECT_AS_OF + " AND r.code = $2", at, code)
        return resource_of(row) if row else None

    async def set_status(self, code: str, status: Status) -> None:
        """Where the resource is in its review (submitted, in notice, returned); publishing sets it itself."""
        await self.conn.execute("UPDATE resources SET status = $2 WHERE code = $1", code, status)

    async def replace_draft(self, code: str, metadata: Metadata, at: datetime) -> None:
        """A draft is not public yet: its single version is edited in place."""
        doc = metadata.model_dump_json()
        await self.conn.execute("UPDATE resources SET metadata = $2::text::jsonb, search_text = $3 WHERE code = $1",
                           code, doc, _search_text(code, metadata))
        await self.conn.execute(
            "UPDATE resource_versions SET metadata = $2::text::jsonb, valid_from = $3 WHERE code = $1", code, doc, at)

    async def add_version(self, code: str, version: int, metadata: Metadata, changed: list[str],
                          at: datetime) -> None:
        doc = metadata.model_dump_json()
        await self.conn.execute(
            "UPDATE resources SET metadata = $2::text::jsonb, version = $3, search_text = $4 WHERE code = $1",
            code, doc, version, _search_text(code, metadata))
        await self.conn.execute(
            "INSERT INTO resource_versions (code, version, valid_from, metadata, changed) "
            "VALUES ($1, $2, $3, $4::text::jsonb, $5)",
            code, version, at, doc, changed)

    async def publish(self, code: str, metadata: Metadata, at: datetime) -> None:
        await self.replace_draft(code, metadata, at)
        await self.conn.execute("UPDATE resources SET status = 'published', published_at = $2 WHERE code = $1",
                                code, at)
        await self._history(code, at, "published", {})

    async def mount(self, code: str, spec: Mount, at: datetime) -> None:
        access = orjson.dumps(spec.access()).decode()
        await self.conn.execute(
            "UPDATE resources SET mount_kind = $2, mount_access = $3::text::jsonb, mounted_at = $4, "
            "last_update_at = $4 WHERE code = $1", code, spec.kind, access, at)
        await self._history(code, at, "mounted", {"kind": spec.kind, "access": spec.access()})

    async def unmount(self, code: str, reason: str | None, at: datetime) -> None:
        await self.conn.execute("UPDATE resources SET mount_kind = NULL, mount_access = NULL, mounted_at = NULL, "
                                "last_update_at = NULL WHERE code = $1", code)
        await self._history(code, at, "unmounted", {"reason": reason})

    async def record_update(self, code: str, records: int | None, at: datetime, *, origin: str = "reported",
                            delivery_id: str | None = None) -> None:
        await self.conn.execute(
            # An update heard of after an unmount (a delivery of its day) is history: an unmounted resource has
            # no data to be fresh (greatest() would take $2 over NULL).
            "UPDATE resources SET last_update_at = greatest(last_update_at, $2), last_records = $3 "
            "WHERE code = $1 AND mount_kind IS NOT NULL",
            code, at, records)
        detail: dict[str, Any] = {"records": records, "origin": origin}
        if delivery_id is not None:
            detail["delivery_id"] = delivery_id
        await self._history(code, at, "updated", detail)

    async def _history(self, code: str, at: datetime, action: str, detail: dict[str, Any]) -> None:
        await self.conn.execute(
            "INSERT INTO resource_history (code, at, action, detail) VALUES ($1, $2, $3, $4::text::jsonb)",
            code, at, action, orjson.dumps(detail).decode())

    async def versions(self, code: str) -> list[dict[str, Any]]:
        rows = await self.conn.fetch(
            "SELECT version, valid_from, changed, metadata FROM resource_versions WHERE code = $1 ORDER BY version",
            code)
        return [{"version": r["version"], "valid_from": r["valid_from"], "changed": list(r["changed"]),
                 "metadata": json_value(r["metadata"])} for r in rows]

    async def history(self, code: str) -> list[dict[str, Any]]:
        rows = await self.conn.fetch(
            "SELECT at, action, detail FROM resource_history WHERE code = $1 ORDER BY at, id", code)
        return [{"at": r["at"], "action": r["action"], **json_value(r["detail"])} for r in rows]

    async def search(self, *, unit: str | None, domain: str | None, share_type: str | None,
                     update_cycle: str | None, q: str | None, mounted: bool | None, include_drafts_of: str | None,
                     as_of: datetime | None, limit: int, offset: int, viewer: str | None = None,
                     catalog: CatalogKind | None = None) -> list[Resource]:
        """`viewer`: a department's unit, which sees no other unit's secret resource (None: the bureau's roles);
        `catalog`: base, theme or department (the code's first digit)."""
        filters = ("($2::text IS NULL OR provider = $2) AND ($3::text IS NULL OR metadata ->> 'domain' = $3) "
                   "AND ($4::text IS NULL OR metadata ->> 'share_type' = $4) "
                   "AND ($5::text IS NULL OR metadata ->> 'update_cycle' = $5) "
                   "AND ($6::text IS NULL OR search_text LIKE '%' || lower($6) || '%') "
                   "AND ($7::boolean IS NULL OR (mount_kind IS NOT NULL) = $7) "
                   "AND ($10::text IS NULL OR provider = $10 OR NOT coalesce((metadata ->> 'secret')::boolean, false)) "
                   "AND ($11::text IS NULL OR left(code, 1) = $11)")
        digit = code_lists.current().kinds[catalog].digit if catalog else None
        args = [unit, domain, share_type, update_cycle, q, mounted]
        if as_of is not None:
            sql = f"SELECT * FROM ({_SELECT_AS_OF}) x WHERE {filters} ORDER BY code LIMIT $8 OFFSET $9"
            rows = await self.conn.fetch(sql, as_of, *args, limit, offset, viewer, digit)
        else:
            sql = (f"SELECT * FROM resources WHERE (status = 'published' OR provider = $1) AND {filters} "
                   "ORDER BY code LIMIT $8 OFFSET $9")
            rows = await self.conn.fetch(sql, include_drafts_of, *args, limit, offset, viewer, digit)
        return [resource_of(r) for r in rows]

    async def gathering(self, code: str) -> list[Resource]:
        """The base and theme resources whose related codes name this one (they gather it)."""
        rows = await self.conn.fetch(
            "SELECT * FROM resources WHERE left(code, 1) IN ('1', '2') AND metadata -> 'related_codes' ? $1 "
            "ORDER BY code", code)
        return [resource_of(r) for r in rows]

    async def many(self, codes: list[str]) -> list[Resource]:
        rows = await self.conn.fetch("SELECT * FROM resources WHERE code = ANY($1) ORDER BY code", codes)
        return [resource_of(r) for r in rows]

    async def open_published(self, q: str | None, limit: int, offset: int) -> list[Resource]:
        """Published resources whose open attribute is open and that are shared without condition (the public
        catalog's candidates; domain/open_data.is_open has the last word)."""
        rows = await self.conn.fetch(
            "SELECT * FROM resources WHERE status = 'published' AND metadata ->> 'open_type' = 'open' "
            "AND metadata ->> 'share_type' = 'unconditional' "
            "AND ($1::text IS NULL OR search_text LIKE '%' || lower($1) || '%') ORDER BY code LIMIT $2 OFFSET $3",
            q, limit, offset)
        return [resource_of(r) for r in rows]

    async def mounted_of(self, unit: str | None) -> list[Resource]:
        rows = await self.conn.fetch("SELECT * FROM resources WHERE mount_kind IS NOT NULL AND ($1::text IS NULL OR "
                                     "provider = $1) ORDER BY provider, code", unit)
        return [resource_of(r) for r in rows]

    async def states(self, codes: list[str]) -> tuple[set[str], set[str]]:
        """(published, mounted) among the codes."""
        rows = await self.conn.fetch("SELECT code, status, mount_kind FROM resources WHERE code = ANY($1)", codes)
        return ({r["code"] for r in rows if r["status"] == "published"},
                {r["code"] for r in rows if r["mount_kind"] is not None})

    async def assign_requirement(self, *, batch_id: str, unit: str, kind: str, title: str,
                                 deadline: date, codes: list[str], at: datetime) -> bool:
        """Insert or replace one unit's part of a batch; False when it is unchanged."""
        status = await self.conn.execute(
            "INSERT INTO requirements (batch_id, unit, batch_kind, title, deadline, codes, assigned_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (batch_id, unit) DO UPDATE SET "
            "batch_kind = excluded.batch_kind, title = excluded.title, deadline = excluded.deadline, "
            "codes = excluded.codes, assigned_at = excluded.assigned_at "
            "WHERE (requirements.batch_kind, requirements.title, requirements.deadline, requirements.codes) "
            "IS DISTINCT FROM (excluded.batch_kind, excluded.title, excluded.deadline, excluded.codes)",
            batch_id, unit, kind, title, deadline, codes, at)
        return status.endswith(" 1")

    async def requirements(self, *, unit: str | None, batch_id: str | None) -> list[asyncpg.Record]:
        return list(await self.conn.fetch(
            "SELECT * FROM requirements WHERE ($1::text IS NULL OR unit = $1) AND ($2::text IS NULL OR batch_id = $2) "
            "ORDER BY deadline, batch_id, unit", unit, batch_id))
