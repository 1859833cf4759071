"""Subscriptions read for the gateway and the watchers: a consumer's standing on a resource with the route to
it, terms that ran out, the lists a department or the bureau sees."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from exchange.domain.requests import AccessRequest
from exchange.domain.subscriptions import HELD
from exchange.storage.repo import _request

# The consumer's newest subscription to the resource, a usable one before any other.
_STANDING = """LEFT JOIN LATERAL (
    SELECT r.id, r.status, r.expires_at, r.suspended_reason, r.ended_by, r.end_reason, r.quota_per_minute,
           r.quota_per_day, r.xmin::text AS version FROM requests r
    WHERE r.requester = $1 AND r.resource_code = s.code AND r.status = ANY($3::text[])
    ORDER BY (r.status = 'active' AND (r.expires_at IS NULL OR r.expires_at > $4)) DESC, r.activated_at DESC
    LIMIT 1) r ON true"""


async def gateway_route(conn: asyncpg.Connection, consumer: str, code: str, now: datetime) -> asyncpg.Record | None:
    """In one round trip: the resource, the consumer's standing on it (`sub_*`, all None without one) and the
    registered endpoint; None when the resource is unknown. The rows' versions (`*_version`, their xmin) let a
    remembered route be checked later (quota.admit_cached)."""
    return await conn.fetchrow(
        "SELECT s.code, s.provider, s.data_kind, s.mount_kind, e.base_url, e.timeout_ms, r.id AS sub_id, "
        "r.version AS sub_version, s.xmin::text AS resource_version, e.xmin::text AS endpoint_version, "
        "r.status AS sub_status, r.expires_at AS sub_expires_at, r.suspended_reason AS sub_suspended_reason, "
        "r.ended_by AS sub_ended_by, r.end_reason AS sub_end_reason, r.quota_per_minute, r.quota_per_day "
        f"FROM resources s LEFT JOIN endpoints e ON e.resource_code = s.code {_STANDING} WHERE s.code = $2",
        consumer, code, list(HELD), now)


async def due_expiry(conn: asyncpg.Connection, now: datetime, limit: int = 500) -> list[AccessRequest]:
    """Held subscriptions whose term ended by now, locked for the watcher (another replica skips them)."""
    rows = await conn.fetch("SELECT * FROM requests WHERE status IN ('active', 'suspended') AND expires_at <= $1 "
                            "ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED", now, limit)
    return [_request(r) for r in rows]


async def listing(conn: asyncpg.Connection, *, unit: str | None, side: str | None, status: str | None,
                  resource: str | None, renewal_asked: bool, limit: int = 500) -> list[asyncpg.Record]:
    """Subscriptions (requests once granted), newest first; `side`: the unit as 'consumer' or 'provider'."""
    return list(await conn.fetch(
        "SELECT r.*, s.name AS resource_name FROM requests r JOIN resources s ON s.code = r.resource_code "
        "WHERE r.status = ANY($6::text[]) AND ($1::text IS NULL OR "
        "($2::text IS DISTINCT FROM 'provider' AND r.requester = $1) OR "
        "($2::text IS DISTINCT FROM 'consumer' AND r.provider = $1)) AND ($3::text IS NULL OR r.status = $3) "
        "AND ($4::text IS NULL OR r.resource_code = $4) AND (NOT $5 OR r.renewal_asked_at IS NOT NULL) "
        "ORDER BY r.activated_at DESC, r.id LIMIT $7", unit, side, status, resource, renewal_asked, list(HELD), limit))


async def prune_quota(conn: asyncpg.Connection, before: datetime) -> int:
    """Counters of windows that ended long ago are of no use."""
    done = await conn.execute("DELETE FROM quota_counts WHERE start < $1", before)
    return int(done.split()[-1])
