"""A subscription's quota counted per window (the minute, the day of Asia/Shanghai) in PostgreSQL, so every
gateway process and replica counts against the same figure. A call is counted only when admitted: the
increments of a refused call are rolled back, under the rows' locks, so concurrent calls never pass the
limit and a refused call never eats the quota."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import asyncpg
from contracts.workdays import SHANGHAI


def windows(now: datetime) -> dict[str, tuple[datetime, datetime]]:
    """The minute and the local day holding `now`: (start, end) of each."""
    minute = now.replace(second=0, microsecond=0)
    local = now.astimezone(SHANGHAI)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return {"minute": (minute, minute + timedelta(minutes=1)),
            "day": (day, day + timedelta(days=1))}  # Asia/Shanghai keeps no summer time: a day is 24 h


class OverQuota(Exception):
    def __init__(self, span: str, limit: int, retry_after: int) -> None:
        super().__init__(f"at most {limit} calls a {span} on this subscription; retry after {retry_after} s")
        self.span, self.limit, self.retry_after = span, limit, retry_after


async def take(conn: asyncpg.Connection, subscription: str, now: datetime, *, per_minute: int | None,
               per_day: int | None) -> None:
    """Count one call, or raise OverQuota (counting nothing) when a window is full."""
    limits = {span: limit for span, limit in (("minute", per_minute), ("day", per_day)) if limit}
    if not limits:
        return
    spans = windows(now)
    tx = conn.transaction()
    await tx.start()
    try:
        rows = await conn.fetch(
            "INSERT INTO quota_counts AS q (request_id, span, start, calls) "
            "SELECT $1, span, start, 1 FROM unnest($2::text[], $3::timestamptz[]) AS w (span, start) "
            "ON CONFLICT (request_id, span, start) DO UPDATE SET calls = q.calls + 1 RETURNING span, calls",
            subscription, list(limits), [spans[s][0] for s in limits])
    except BaseException:
        await tx.rollback()
        raise
    full = sorted((r["span"] for r in rows if r["calls"] > limits[r["span"]]), key=lambda s: s != "day")
    if full:
        await tx.rollback()
        span = full[0]  # the day's limit first: waiting for the next minute would not help
        wait = max(1, math.ceil((spans[span][1] - now).total_seconds()))
        raise OverQuota(span, limits[span], wait)
    await tx.commit()
