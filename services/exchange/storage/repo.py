"""Exchange rows: the catalog read model, requests, endpoints, calls, disputes, data uses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from exchange.domain.requests import AccessRequest
from exchange.storage import records

_FIELDS = records.fields_of(AccessRequest)


async def upsert_resource(conn: asyncpg.Connection, *, code: str, provider: str, name: str, share_type: str,
                          share_condition: str | None, share_basis: str | None, data_kind: str,
                          at: datetime, control_parameters: bool = False,
                          items: list[dict[str, Any]] | None = None, secret: bool = False) -> None:
    """Apply a publication or metadata change that happened at `at`; an older one than the metadata
    already held changes nothing. The mount state already known (a mount may arrive first) applies."""
    await conn.execute(
        "INSERT INTO resources (code, provider, name, share_type, share_condition, share_basis, data_kind, "
        "published_at, metadata_at, mount_kind, control_parameters, items, secret) VALUES ($1, $2, $3, $4, $5, $6, "
        "$7, $8, $8, (SELECT mount_kind FROM mounts WHERE code = $1), $9, $10, $11) ON CONFLICT (code) DO UPDATE SET "
        "published_at = least(resources.published_at, excluded.published_at)",
        code, provider, name, share_type, share_condition, share_basis, data_kind, at, control_parameters,
        items or [], secret)
    await conn.execute(
        "UPDATE resources SET name = $2, share_type = $3, share_condition = $4, share_basis = $5, data_kind = $6, "
        "metadata_at = $7, control_parameters = $8, items = $9, secret = $10 WHERE code = $1 AND metadata_at <= $7",
        code, name, share_type, share_condition, share_basis, data_kind, at, control_parameters, items or [], secret)


async def set_mount(conn: asyncpg.Connection, code: str, provider: str, kind: str | None, at: datetime) -> None:
    """Record a mount (kind) or unmount (None) that happened at `at`, unless a later one is known."""
    await conn.execute(
        "INSERT INTO mounts (code, provider, mount_kind, changed_at) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (code) DO UPDATE SET mount_kind = excluded.mount_kind, changed_at = excluded.changed_at "
        "WHERE excluded.changed_at >= mounts.changed_at", code, provider, kind, at)
    await conn.execute("UPDATE resources SET mount_kind = (SELECT mount_kind FROM mounts WHERE code = $1) "
                       "WHERE code = $1", code)


async def resource(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM resources WHERE code = $1", code)


def _request(row: asyncpg.Record) -> AccessRequest:
    return AccessRequest(**{f: row[f] for f in _FIELDS})


async def insert_request(conn: asyncpg.Connection, req: AccessRequest, purpose: str) -> None:
    await records.insert(conn, "requests", req, purpose=purpose)


async def save_request(conn: asyncpg.Connection, req: AccessRequest) -> None:
    await records.save(conn, "requests", req)


async def get_request(conn: asyncpg.Connection, request_id: str, *, for_update: bool = False) -> AccessRequest | None:
    row = await conn.fetchrow("SELECT * FROM requests WHERE id = $1" + (" FOR UPDATE" if for_update else ""),
                              request_id)
    return _request(row) if row else None


async def list_requests(conn: asyncpg.Connection, *, unit: str | None, status: str | None,
                        role: str | None, limit: int = 500) -> list[asyncpg.Record]:
    """role: 'requester' or 'provider' side of `unit` (None: both)."""
    return list(await conn.fetch(
        "SELECT r.*, s.name AS resource_name FROM requests r JOIN resources s ON s.code = r.resource_code "
        "WHERE ($1::text IS NULL OR ($3::text IS DISTINCT FROM 'provider' AND r.requester = $1) "
        "OR ($3::text IS DISTINCT FROM 'requester' AND r.provider = $1)) AND ($2::text IS NULL OR r.status = $2) "
        "ORDER BY r.submitted_at DESC LIMIT $4", unit, status, role, limit))


async def due_overdue(conn: asyncpg.Connection, now: datetime, limit: int = 500) -> list[AccessRequest]:
    rows = await conn.fetch("SELECT * FROM requests WHERE status = 'forwarded' AND overdue_at IS NULL AND "
                            "provider_due <= $1 ORDER BY provider_due LIMIT $2 FOR UPDATE SKIP LOCKED", now, limit)
    return [_request(r) for r in rows]


async def set_endpoint(conn: asyncpg.Connection, code: str, base_url: str, timeout_ms: int) -> None:
    await conn.execute("INSERT INTO endpoints (resource_code, base_url, timeout_ms) VALUES ($1, $2, $3) "
                       "ON CONFLICT (resource_code) DO UPDATE SET base_url = excluded.base_url, "
                       "timeout_ms = excluded.timeout_ms", code, base_url, timeout_ms)


async def endpoint(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM endpoints WHERE resource_code = $1", code)


CALL_COLUMNS = ("id", "consumer", "provider", "resource_code", "started_at", "ended_at", "duration_ms",
                "status_code", "request_bytes", "response_bytes", "succeeded", "error", "reported", "system_id",
                "refused", "channel")
_CALL_DEFAULTS = {"channel": "gateway"}  # a reported or gateway call names no channel


_CALL_TYPES = ("text", "text", "text", "text", "timestamptz", "timestamptz", "float8", "int4", "int8", "int8", "bool",
               "text", "bool", "text", "text", "text")


async def insert_calls(conn: asyncpg.Connection, calls: list[dict[str, Any]]) -> list[str]:
    """Insert call records in one statement; returns the ids that were new (a re-reported call is
    recorded once)."""
    if not calls:
        return []
    # a reported call has no system or refusal
    columns = [[c.get(k, _CALL_DEFAULTS.get(k)) for c in calls] for k in CALL_COLUMNS]
    rows = await conn.fetch(
        f"INSERT INTO calls ({', '.join(CALL_COLUMNS)}) SELECT * FROM unnest("
        + ", ".join(f"${i}::{t}[]" for i, t in enumerate(_CALL_TYPES, start=1))
        + ") ON CONFLICT (id) DO NOTHING RETURNING id", *columns)
    return [r["id"] for r in rows]


async def provider_stats(conn: asyncpg.Connection, now: datetime) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """WITH c AS (
             SELECT provider, count(*) AS calls, count(*) FILTER (WHERE NOT succeeded) AS failed,
                    percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
                    percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms) AS p99,
                    array_agg(DISTINCT resource_code) FILTER (WHERE NOT succeeded) AS failing
             FROM calls WHERE refused IS NULL GROUP BY provider),
           r AS (
             SELECT provider, count(*) FILTER (WHERE status IN ('submitted', 'forwarded')) AS pending,
                    count(*) FILTER (WHERE status = 'forwarded' AND provider_due <= $1) AS overdue
             FROM requests GROUP BY provider)
           SELECT coalesce(c.provider, r.provider) AS provider, coalesce(c.calls, 0) AS calls,
                  coalesce(c.failed, 0) AS failed, c.p50, c.p99, coalesce(c.failing, '{}') AS failing,
                  coalesce(r.pending, 0) AS pending, coalesce(r.overdue, 0) AS overdue
           FROM c FULL JOIN r ON r.provider = c.provider ORDER BY 1""", now)
    return [{"provider": r["provider"], "calls": r["calls"], "failed": r["failed"],
             "failure_rate": round(r["failed"] / r["calls"], 4) if r["calls"] else 0.0,
             "failing_resources": sorted(r["failing"]), "p50_ms": _ms(r["p50"]), "p99_ms": _ms(r["p99"]),
             "requests_pending": r["pending"], "requests_overdue": r["overdue"]} for r in rows]


def _ms(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


async def resources_by_code(conn: asyncpg.Connection, codes: list[str]) -> dict[str, asyncpg.Record]:
    rows = await conn.fetch("SELECT code, provider, data_kind FROM resources WHERE code = ANY($1)", codes)
    return {r["code"]: r for r in rows}


async def latest_subscription(conn: asyncpg.Connection, consumer: str, code: str) -> asyncpg.Record | None:
    """The consumer's newest subscription to the resource, whatever became of it since (a unit that received
    the data may report a problem with it), with the resource's provider and kind."""
    return await conn.fetchrow(
        "SELECT r.activated_at, s.provider, s.data_kind FROM requests r JOIN resources s ON s.code = "
        "r.resource_code WHERE r.requester = $1 AND r.resource_code = $2 AND r.activated_at IS NOT NULL "
        "ORDER BY r.activated_at DESC LIMIT 1", consumer, code)


async def insert_data_use(conn: asyncpg.Connection, *, consumer: str, resource_code: str, purpose: str,
                          note: str | None, at: datetime) -> int:
    return int(await conn.fetchval(
        "INSERT INTO data_uses (consumer, resource_code, purpose, note, used_at) VALUES ($1, $2, $3, $4, $5) "
        "RETURNING id", consumer, resource_code, purpose, note, at))
