"""The call log read back: calls filtered by resource, parties, time and outcome, newest first by keyset, and
statistics per hour, day or month of the exchange's clock (Asia/Shanghai calendar)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

# status filter -> SQL condition on a call row
STATUSES = {"ok": "succeeded", "failed": "NOT succeeded AND refused IS NULL", "timeout": "error = 'timeout'",
            "unavailable": "error = 'unavailable'", "server_error": "error = 'server_error'",
            "bad_response": "error = 'bad_response'", "over_quota": "refused = 'quota'"}
BUCKETS = {"hour": "hour", "day": "day", "month": "month"}
# What a group of calls comes to: counts, failures by kind, duration percentiles, bytes (one definition for the
# call statistics and the traffic counts). Calls the gateway refused over quota never reached the provider: they
# are counted apart and are neither its calls nor its failures.
FIGURES = """count(*) FILTER (WHERE refused IS NULL) AS calls,
       count(*) FILTER (WHERE NOT succeeded AND refused IS NULL) AS failed,
       count(*) FILTER (WHERE refused = 'quota') AS over_quota,
       count(*) FILTER (WHERE error = 'timeout') AS timeouts,
       count(*) FILTER (WHERE error = 'unavailable') AS unavailable,
       count(*) FILTER (WHERE error = 'server_error') AS server_errors,
       count(*) FILTER (WHERE error = 'bad_response') AS bad_responses,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) FILTER (WHERE refused IS NULL) AS p50,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) FILTER (WHERE refused IS NULL) AS p95,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms) FILTER (WHERE refused IS NULL) AS p99,
       coalesce(sum(request_bytes), 0) AS request_bytes, coalesce(sum(response_bytes), 0) AS response_bytes"""


def _where(*, party: str | None, resource: str | None, consumer: str | None, provider: str | None,
           start: datetime | None, end: datetime | None, status: str | None) -> tuple[str, list[Any]]:
    """The filters as one WHERE clause with numbered parameters. `party`: a department sees only calls it
    made or answered."""
    terms: list[str] = []
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if party is not None:
        p = arg(party)
        terms.append(f"(provider = {p} OR consumer = {p})")
    for column, value in (("resource_code", resource), ("consumer", consumer), ("provider", provider)):
        if value is not None:
            terms.append(f"{column} = {arg(value)}")
    if start is not None:
        terms.append(f"started_at >= {arg(start)}")
    if end is not None:
        terms.append(f"started_at < {arg(end)}")
    if status is not None:
        terms.append(STATUSES[status])
    return (" WHERE " + " AND ".join(terms)) if terms else "", args


async def calls(conn: asyncpg.Connection, *, before: tuple[datetime, str] | None, limit: int,
                **filters: Any) -> list[Any]:
    """Newest first; `before`: the (started_at, id) of the last call of the previous page."""
    where, args = _where(**filters)
    if before is not None:
        args += [before[0], before[1]]
        where += (" AND " if where else " WHERE ") + f"(started_at, id) < (${len(args) - 1}, ${len(args)})"
    args.append(limit)
    return list(await conn.fetch(
        "SELECT id, consumer, provider, resource_code, started_at, ended_at, duration_ms, status_code, succeeded, "
        f"error, refused, system_id, request_bytes, response_bytes, reported, channel FROM calls{where} "
        f"ORDER BY started_at DESC, id DESC LIMIT ${len(args)}", *args))


async def buckets(conn: asyncpg.Connection, *, size: str, **filters: Any) -> list[Any]:
    """Per hour, day or month (local time): calls, failures by kind, duration percentiles, bytes."""
    where, args = _where(**filters)
    return list(await conn.fetch(
        f"SELECT date_trunc('{BUCKETS[size]}', started_at AT TIME ZONE 'Asia/Shanghai') AS bucket, {FIGURES} "
        f"FROM calls{where} GROUP BY 1 ORDER BY 1", *args))
