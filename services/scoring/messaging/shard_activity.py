"""A shard's part of the dashboards' activity figures: computed over the units it owns after its commits
(every ACTIVITY_SECONDS at most) and stored for whichever shard serves a dashboard to add up
(domain/activity.merge). When its watermark enters a new month the month it left is written once more, at
its last instant."""

from __future__ import annotations

import time
from collections.abc import Callable

import asyncpg
import msgspec

from scoring.domain.activity import Activity, activity, merge
from scoring.domain.clock import month_bounds, month_of, to_datetime
from scoring.domain.projection import Projection
from scoring.storage import shard_activity

ACTIVITY_SECONDS = 2.0


class ActivityShare:
    def __init__(self) -> None:
        self._written = 0.0
        self._month: str | None = None
        self.dirty = False  # committed since the figures were last written

    async def share(self, pool: asyncpg.Pool, projection: Projection, shard: int,
                    owns: Callable[[str], bool], *, force: bool = False) -> None:
        """Write the figures if something was committed since, at most every ACTIVITY_SECONDS (asked after
        each commit and while idle, so the last commit's figures are written too)."""
        wm = projection.watermark
        if wm is None or not (force or (self.dirty and time.monotonic() - self._written >= ACTIVITY_SECONDS)):
            return
        self._written, self.dirty = time.monotonic(), False
        month = month_of(wm)
        instants = [(month, wm)]
        if self._month is not None and self._month < month:
            instants.append((self._month, month_bounds(self._month)[1] - 1))
        self._month = month
        async with pool.acquire() as conn:
            for m, t in instants:
                figures = msgspec.json.encode(activity(projection.store, t, include=owns))
                await shard_activity.save(conn, shard, m, to_datetime(t), figures)


async def gathered(pool: asyncpg.Pool, month: str, shards: int) -> Activity | None:
    """The province's figures of `month` from every shard's part (None until each has written one)."""
    parts = await shard_activity.of_month(pool, month)
    if len(parts) < shards:
        return None
    return merge([msgspec.json.decode(raw, type=Activity) for raw in parts])
