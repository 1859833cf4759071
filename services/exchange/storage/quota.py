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
    """Count one call, or raise OverQuota (counting nothing) when a window is full. Never inside a transaction:
    the count commits asynchronously (migration 012), which must not extend to anything written with it."""
    if conn.is_in_transaction():
        raise RuntimeError("quota.take runs in a transaction of its own")
    limits = {span: limit for span, limit in (("minute", per_minute), ("day", per_day)) if limit}
    if not limits:
        return
    spans = windows(now)
    try:  # one round trip: migration 012's take_quota raises, counting nothing, when a window is full
        await conn.execute("SELECT take_quota($1, $2::text[], $3::timestamptz[], $4::int[])", subscription,
                           list(limits), [spans[s][0] for s in limits], list(limits.values()))
    except asyncpg.RaiseError as refused:
        if refused.sqlstate != "P0001" or refused.detail is None:
            raise
        full = sorted(refused.detail.split(","), key=lambda s: s != "day")
        span = full[0]  # the day's limit first: waiting for the next minute would not help
        wait = max(1, math.ceil((spans[span][1] - now).total_seconds()))
        raise OverQuota(span, limits[span], wait) from None
