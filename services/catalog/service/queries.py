"""The catalog's reads: what routers show, each on a connection of the pool, no transaction needed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from catalog.domain import open_data
from catalog.domain.freshness import Freshness, freshness
from catalog.domain.requirements import Progress, progress
from catalog.domain.resources import Resource
from catalog.domain.reviews import Review
from catalog.domain.units import Unit
from catalog.storage.resources import ResourceRows
from catalog.storage.reviews import ReviewRows
from catalog.storage.units import UnitRows


async def units(pool: asyncpg.Pool, *, kind: str | None, parent: str | None, q: str | None) -> list[Unit]:
    async with pool.acquire() as conn:
        return await UnitRows(conn).search(kind=kind, parent=parent, q=q)


async def unit(pool: asyncpg.Pool, uscc: str) -> Unit | None:
    async with pool.acquire() as conn:
        return await UnitRows(conn).get(uscc)


async def resources(pool: asyncpg.Pool, **filters: Any) -> list[Resource]:
    """The published catalog (now, or as of `as_of`), and the drafts of `include_drafts_of`."""
    async with pool.acquire() as conn:
        return await ResourceRows(conn).search(**filters)


async def resource(pool: asyncpg.Pool, code: str, as_of: datetime | None = None) -> Resource | None:
    async with pool.acquire() as conn:
        rows = ResourceRows(conn)
        return await (rows.get_as_of(code, as_of) if as_of else rows.get(code))


async def open_resources(pool: asyncpg.Pool, q: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
    """The public views of the open resources (domain/open_data.py), with their providers' names."""
    async with pool.acquire() as conn:
        found = [r for r in await ResourceRows(conn).open_published(q, limit, offset) if open_data.is_open(r)]
        units = UnitRows(conn)
        names = {p: (u.name if (u := await units.get(p)) else None) for p in {r.provider for r in found}}
    return [open_data.public_view(r, names[r.provider]) for r in found]


async def versions(pool: asyncpg.Pool, code: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every metadata version with the instant it took effect, and the resource's history."""
    async with pool.acquire() as conn:
        rows = ResourceRows(conn)
        return await rows.versions(code), await rows.history(code)


async def freshness_of_mounted(pool: asyncpg.Pool, unit: str | None, now: datetime
                               ) -> list[tuple[Resource, Freshness]]:
    async with pool.acquire() as conn:
        mounted = await ResourceRows(conn).mounted_of(unit)
    out = []
    for r in mounted:
        assert r.last_update_at is not None
        out.append((r, freshness(r.last_update_at, r.metadata.update_cycle, now)))
    return out


async def requirement_progress(pool: asyncpg.Pool, *, unit: str | None, batch_id: str | None, now: datetime
                               ) -> list[tuple[str, Progress]]:
    """(title, progress) per unit and batch."""
    out = []
    async with pool.acquire() as conn:
        rows = ResourceRows(conn)
        for req in await rows.requirements(unit=unit, batch_id=batch_id):
            codes = list(req["codes"])
            published, mounted = await rows.states(codes)
            out.append((req["title"], progress(req["batch_id"], req["batch_kind"], req["unit"], req["deadline"],
                                               codes, published, mounted, now)))
    return out


async def latest_review(pool: asyncpg.Pool, code: str) -> Review | None:
    async with pool.acquire() as conn:
        return await ReviewRows(conn).latest(code)


async def reviews_of(pool: asyncpg.Pool, code: str) -> list[Review]:
    async with pool.acquire() as conn:
        return await ReviewRows(conn).of(code)


async def review_queue(pool: asyncpg.Pool, *, state: str | None, unit: str | None, now: datetime, limit: int,
                       offset: int) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        return await ReviewRows(conn).queue(state=state, unit=unit, now=now, limit=limit, offset=offset)
