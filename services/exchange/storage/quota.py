"""A subscription's quota counted per window (the minute, the day of Asia/Shanghai) in PostgreSQL, so every
gateway process and replica counts against the same figure. A call is counted only when admitted: the
increments of a refused call are rolled back, under the rows' locks, so concurrent calls never pass the
limit and a refused call never eats the quota."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

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


class Stale(Exception):
    """A remembered route's rows changed since it was read: read it again."""


async def admit_cached(conn: asyncpg.Connection, route: Mapping[str, Any], now: datetime) -> None:
    """One round trip for a call on a remembered route: its rows unchanged (else Stale) and its quota taken
    (else OverQuota, counting nothing). Never inside a transaction, as `take`."""
    if conn.is_in_transaction():
        raise RuntimeError("quota.admit_cached runs in a transaction of its own")
    limits = _limits(route["quota_per_minute"], route["quota_per_day"])
    spans = windows(now)
    try:
        await conn.execute("SELECT admit_cached($1, $2, $3, $4, $5, $6::text[], $7::timestamptz[], $8::int[])",
                           route["sub_id"], route["code"], route["sub_version"], route["resource_version"],
                           route["endpoint_version"], list(limits), [spans[s][0] for s in limits],
                           list(limits.values()))
    except asyncpg.RaiseError as refused:
        if refused.sqlstate == "P0001" and refused.detail == "stale":
            raise Stale() from None
        raise _over(refused, limits, spans, now) from None


def _limits(per_minute: int | None, per_day: int | None) -> dict[str, int]:
    return {span: limit for span, limit in (("minute", per_minute), ("day", per_day)) if limit}


def _over(refused: asyncpg.RaiseError, limits: dict[str, int], spans: dict[str, tuple[datetime, datetime]],
          now: datetime) -> Exception:
    """The OverQuota that migration 012's take_quota raised (or the error itself, when it is another)."""
    if refused.sqlstate != "P0001" or refused.detail is None or refused.detail == "stale":
        return refused
    full = sorted(refused.detail.split(","), key=lambda s: s != "day")
    span = full[0]  # the day's limit first: waiting for the next minute would not help
    wait = max(1, math.ceil((spans[span][1] - now).total_seconds()))
    return OverQuota(span, limits[span], wait)


async def take(conn: asyncpg.Connection, subscription: str, now: datetime, *, per_minute: int | None,
               per_day: int | None) -> None:
    """Count one call, or raise OverQuota (counting nothing) when a window is full. Never inside a transaction:
    the count commits asynchronously (migration 012), which must not extend to anything written with it."""
    if conn.is_in_transaction():
        raise RuntimeError("quota.take runs in a transaction of its own")
    limits = _limits(per_minute, per_day)
    if not limits:
        return
    spans = windows(now)
    try:  # one round trip: migration 012's take_quota raises, counting nothing, when a window is full
        await conn.execute("SELECT take_quota($1, $2::text[], $3::timestamptz[], $4::int[])", subscription,
                           list(limits), [spans[s][0] for s in limits], list(limits.values()))
    except asyncpg.RaiseError as refused:
        raise _over(refused, limits, spans, now) from None
