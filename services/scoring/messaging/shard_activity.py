"""A shard's part of the dashboards' activity figures: computed over the units it owns after its commits
(every ACTIVITY_SECONDS at most), for the month of each committed event and every month after it (a month
that has ended at its last instant), and stored for whichever shard serves a dashboard to add up
(domain/activity.merge)."""

from __future__ import annotations

import time
from collections.abc import Callable

import asyncpg
import msgspec

from scoring.domain.activity import Activity, activity, merge
from scoring.domain.clock import Instant, month_bounds, month_of, shift_month, to_datetime
from scoring.domain.projection import Projection
from scoring.storage import shard_activity

ACTIVITY_SECONDS = 2.0


class ActivityShare:
    def __init__(self) -> None:
        self._written = 0.0
        self._month: str | None = None  # the watermark's month when the figures were last written
        self._since: Instant | None = None  # the earliest event time committed since then
        self._dirty = False  # committed since then

    def committed(self, earliest: Instant | None) -> None:
        """A batch was committed whose earliest event happened at `earliest` (None: it held no event, the time
        frame moved): the figures of its month and every later one may differ now."""
        self._since = earliest if self._since is None or (earliest is not None and earliest < self._since) \
            else self._since
        self._dirty = True

    async def share(self, pool: asyncpg.Pool, projection: Projection, shard: int,
                    owns: Callable[[str], bool], *, force: bool = False) -> None:
        """Write the figures of every month a commit may have changed, at most every ACTIVITY_SECONDS (asked
        after each commit and while idle, so the last commit's figures are written too); `force`: every month
        since the earliest event (after a rebuild)."""
        wm = projection.watermark
        if wm is None or not (force or (self._dirty and time.monotonic() - self._written >= ACTIVITY_SECONDS)):
            return
        since = projection.earliest if force else self._since
        current = month_of(wm)
        month = min(month_of(since) if since is not None else current, self._month or current, current)
        self._written, self._dirty, self._since, self._month = time.monotonic(), False, None, current
        async with pool.acquire() as conn:
            while month <= current:
                t = min(wm, month_bounds(month)[1] - 1)
                figures = msgspec.json.encode(activity(projection.store, t, include=owns))
                await shard_activity.save(conn, shard, month, to_datetime(t), figures)
                month = shift_month(month, 1)


async def gathered(pool: asyncpg.Pool, month: str, shards: int) -> Activity | None:
    """The province's figures of `month` from every shard's part (None until each has written one)."""
    parts = await shard_activity.of_month(pool, month)
    if len(parts) < shards:
        return None
    return merge([msgspec.json.decode(raw, type=Activity) for raw in parts])
