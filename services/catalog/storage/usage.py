"""The catalog's read model of how resources are used (the exchange's requests, subscriptions and ratings)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg


class UsageRows:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def requested(self, request_id: str, code: str, requester: str) -> None:
        await self.conn.execute(
            "INSERT INTO usage_requests (request_id, resource_code, requester) VALUES ($1, $2, $3) "
            "ON CONFLICT (request_id) DO UPDATE SET resource_code = excluded.resource_code, "
            "requester = excluded.requester", request_id, code, requester)

    async def approved(self, request_id: str, at: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO usage_requests (request_id, approved_at) VALUES ($1, $2) "
            "ON CONFLICT (request_id) DO UPDATE SET approved_at = excluded.approved_at", request_id, at)

    async def stepped(self, request_id: str, code: str, consumer: str, ended: bool, at: datetime) -> None:
        """A subscription step; an older step arriving late changes nothing."""
        await self.conn.execute(
            "INSERT INTO usage_requests (request_id, resource_code, requester, approved_at, ended, step_at) "
            "VALUES ($1, $2, $3, $5, $4, $5) ON CONFLICT (request_id) DO UPDATE SET "
            "resource_code = excluded.resource_code, requester = excluded.requester, "
            "approved_at = coalesce(usage_requests.approved_at, excluded.approved_at), "
            "ended = CASE WHEN usage_requests.step_at > excluded.step_at THEN usage_requests.ended "
            "ELSE excluded.ended END, step_at = greatest(usage_requests.step_at, excluded.step_at)",
            request_id, code, consumer, ended, at)

    async def rated(self, code: str, consumer: str, scores: tuple[int, int, int], comment: str | None,
                    at: datetime) -> None:
        """A unit's rating replaces its earlier one (not a later one arriving first)."""
        await self.conn.execute(
            "INSERT INTO usage_ratings (resource_code, consumer, quality, timeliness, usefulness, comment, rated_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (resource_code, consumer) DO UPDATE SET "
            "quality = excluded.quality, timeliness = excluded.timeliness, usefulness = excluded.usefulness, "
            "comment = excluded.comment, rated_at = excluded.rated_at "
            "WHERE usage_ratings.rated_at <= excluded.rated_at", code, consumer, *scores, comment, at)

    async def of(self, code: str) -> dict[str, Any]:
        """Subscribers now (units holding an approved, unended subscription) and the ratings' averages."""
        subscribers = await self.conn.fetchval(
            "SELECT count(DISTINCT requester) FROM usage_requests WHERE resource_code = $1 "
            "AND approved_at IS NOT NULL AND NOT ended", code)
        row = await self.conn.fetchrow(
            "SELECT count(*) AS n, avg(quality) AS quality, avg(timeliness) AS timeliness, "
            "avg(usefulness) AS usefulness FROM usage_ratings WHERE resource_code = $1", code)
        comments = await self.conn.fetch(
            "SELECT consumer, comment, rated_at FROM usage_ratings WHERE resource_code = $1 AND comment IS NOT NULL "
            "ORDER BY rated_at DESC LIMIT 5", code)

        def avg(v: Any) -> float | None:
            return round(float(v), 1) if v is not None else None
        return {"subscribers": int(subscribers or 0), "ratings": int(row["n"]), "quality": avg(row["quality"]),
                "timeliness": avg(row["timeliness"]), "usefulness": avg(row["usefulness"]),
                "comments": [dict(c) for c in comments]}
