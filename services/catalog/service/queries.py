"""The catalog's reads: what routers show, each on a connection of the pool, no transaction needed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from catalog.domain import duplicates, open_data
from catalog.domain.freshness import Freshness, freshness
from catalog.domain.requirements import Progress, progress
from catalog.domain.resources import Resource
from catalog.domain.reviews import Review
from catalog.domain.units import Unit
from catalog.storage.duplicates import DuplicateRows
from catalog.storage.resources import ResourceRows
from catalog.storage.reviews import ReviewRows
from catalog.storage.units import UnitRows
from catalog.storage.usage import UsageRows


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


async def feeds(pool: asyncpg.Pool, resource: Resource, viewer: str | None
                ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(what a base or theme resource gathers, what gathers this resource, the other units' resources the bureau
    confirmed as the same data), each as the viewer may see it; the authoritative source is marked."""
    async with pool.acquire() as conn:
        rows = ResourceRows(conn)
        gathers = await rows.many(list(resource.metadata.related_codes)) if resource.catalog_kind != "department" \
            else []
        gathered_by = await rows.gathering(resource.code)
        confirmed = await DuplicateRows(conn).decided(decision="confirmed", code=resource.code)
        authoritative = {d["authoritative"] for d in confirmed}
        same = await rows.many([d["b"] if d["a"] == resource.code else d["a"] for d in confirmed])

    def brief(r: Resource) -> dict[str, Any]:
        return {"code": r.code, "catalog": r.catalog_kind, "name": r.metadata.name, "provider": r.provider,
                "status": r.status}

    return ([brief(r) for r in gathers if not r.hidden_from(viewer)],
            [brief(r) for r in gathered_by if not r.hidden_from(viewer)],
            [brief(r) | {"authoritative": r.code in authoritative} for r in same if not r.hidden_from(viewer)])


async def duplicate_candidates(pool: asyncpg.Pool, limit: int) -> list[dict[str, Any]]:
    """Undecided pairs of published department resources of two units that look like the same data."""
    async with pool.acquire() as conn:
        rows = DuplicateRows(conn)
        published = await rows.published_department()
        names = {u.uscc: u.name for u in await UnitRows(conn).search(kind=None, parent=None, q=None)}
        found = duplicates.candidates(published, await rows.decided_pairs(), names)[:limit]
    by_code = {r.code: r for r in published}

    def side(code: str) -> dict[str, Any]:
        r = by_code[code]
        return {"code": code, "name": r.metadata.name, "provider": r.provider, "published_at": r.published_at}

    return [{"a": side(c.a), "b": side(c.b), "score": c.score, "reasons": list(c.reasons)} for c in found]


async def duplicate_decisions(pool: asyncpg.Pool, *, decision: str | None, code: str | None) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        return await DuplicateRows(conn).decided(decision=decision, code=code)


async def usage(pool: asyncpg.Pool, code: str) -> dict[str, Any]:
    """Subscribers now and the ratings of a resource, as the exchange's events said them."""
    async with pool.acquire() as conn:
        return await UsageRows(conn).of(code)
