"""The exchange's reads: requests with their resource's name, disputes, provider statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from exchange.domain.requests import AccessRequest
from exchange.storage import call_log, demands, repo, subscriptions, systems
from exchange.storage import disputes as dispute_rows


async def resource(pool: asyncpg.Pool, code: str) -> Any:
    """The resource as the exchange knows it from the catalog's events (None: unknown)."""
    async with pool.acquire() as conn:
        return await repo.resource(conn, code)


async def requests(pool: asyncpg.Pool, *, unit: str | None, statuses: tuple[str | None, ...], side: str | None
                   ) -> list[tuple[AccessRequest, dict[str, Any]]]:
    """(request, {resource_name, purpose}) for each status asked (None: any), newest first per status."""
    async with pool.acquire() as conn:
        rows = [r for status in statuses
                for r in await repo.list_requests(conn, unit=unit, status=status, role=side)]
    return [(repo._request(r), {"resource_name": r["resource_name"], "purpose": r["purpose"]}) for r in rows]


async def request(pool: asyncpg.Pool, request_id: str) -> AccessRequest | None:
    async with pool.acquire() as conn:
        return await repo.get_request(conn, request_id)


async def disputes(pool: asyncpg.Pool, *, unit: str | None, status: str | None) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        return [dict(r) for r in await dispute_rows.listed(conn, unit=unit, status=status)]


async def provider_stats(pool: asyncpg.Pool, now: datetime) -> list[dict[str, Any]]:
    """Per provider: its calls and requests (storage/repo.py) and how its consumers rated its data."""
    async with pool.acquire() as conn:
        stats = {s["provider"]: s for s in await repo.provider_stats(conn, now)}
        rated = await demands.provider_ratings(conn, None)
    empty = {"ratings": 0, "quality": None, "timeliness": None, "usefulness": None}
    for r in rated:
        stats.setdefault(r["provider"], {"provider": r["provider"]})["rated"] = {
            "ratings": r["n"], **{k: round(float(r[k]), 2) for k in ("quality", "timeliness", "usefulness")}}
    return [s | {"rated": s.get("rated", empty)} for _, s in sorted(stats.items())]


async def calls(pool: asyncpg.Pool, *, before: tuple[datetime, str] | None, limit: int, **filters: Any) -> list[Any]:
    """The call log, newest first (storage/call_log.py)."""
    async with pool.acquire() as conn:
        return await call_log.calls(conn, before=before, limit=limit, **filters)


async def call_buckets(pool: asyncpg.Pool, *, size: str, **filters: Any) -> list[Any]:
    async with pool.acquire() as conn:
        return await call_log.buckets(conn, size=size, **filters)


async def subscriptions_of(pool: asyncpg.Pool, **filters: Any) -> list[tuple[AccessRequest, dict[str, Any]]]:
    async with pool.acquire() as conn:
        rows = await subscriptions.listing(conn, **filters)
    return [(repo._request(r), {"resource_name": r["resource_name"]}) for r in rows]


async def systems_of(pool: asyncpg.Pool, unit: str | None) -> list[Any]:
    async with pool.acquire() as conn:
        return await systems.of_unit(conn, unit)
