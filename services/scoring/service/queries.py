"""Scoring's reads for the routers: leaderboards, a unit's result and history, closed months, alerts in
words, webhooks and their deliveries. Routers read through here, never through storage."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import asyncpg
from hubkit.db import read_snapshot

from scoring.domain.activity import TrafficNow
from scoring.domain.activity import traffic_now as read_traffic
from scoring.domain.bulletin import Bulletin, compile_bulletin
from scoring.domain.clock import SHANGHAI, Instant, month_bounds, month_of, shift_month, to_datetime, to_instant
from scoring.domain.dashboard import Dashboard, MonthFigure, compile_dashboard
from scoring.domain.ruleset import Ruleset
from scoring.domain.submissions import Requirements, Submitted
from scoring.domain.todo import Todo, todos
from scoring.messaging.alert_feed import documents
from scoring.messaging.projector import LiveProjector
from scoring.service.ports import AppealRow, ClaimRow, FindingRow, Live, SubmissionRow
from scoring.storage import alerts, months
from scoring.storage import appeals as appeal_rows
from scoring.storage import findings as finding_rows
from scoring.storage import inventory as inventory_rows
from scoring.storage import submissions as submission_rows

# The leaderboard, results and ledger reads are storage's own queries, served as they are.
from scoring.storage.reads import (
    closed_months,
    leaderboard,
    ledger_after,
    ledger_position,
    month_figures,
    month_results,
    recent_deductions,
    traffic_now,
    unit_history,
    unit_result,
    units_with_item,
)
from scoring.views import LiveView

__all__ = [
    "alerts_after",
    "alerts_latest",
    "closed_month",
    "closed_months",
    "deliveries",
    "inventory_claims",
    "last_alert_seq",
    "leaderboard",
    "ledger_after",
    "ledger_position",
    "recent_deductions",
    "submission_file",
    "submissions",
    "unit_history",
    "unit_result",
    "units_with_item",
    "webhooks",
]


async def alerts_latest(pool: asyncpg.Pool, unit: str, limit: int, ruleset: Ruleset, projector: LiveProjector,
                        appeal_days: int = 5) -> list[dict[str, Any]]:
    """The unit's latest alerts, newest first, as departments read them (words, causes, what to do)."""
    async with pool.acquire() as conn:
        return await documents(conn, await alerts.latest(conn, unit, limit), ruleset,
                               LiveView(projector, ruleset, pool), appeal_days)


async def last_alert_seq(pool: asyncpg.Pool, unit: str) -> int:
    async with pool.acquire() as conn:
        return await alerts.last_seq(conn, unit)


async def alerts_after(pool: asyncpg.Pool, unit: str, seq: int, ruleset: Ruleset, projector: LiveProjector,
                       limit: int = 100, appeal_days: int = 5) -> list[dict[str, Any]]:
    """The unit's alerts after `seq`, oldest first (a stream resumes from the last one it sent)."""
    async with pool.acquire() as conn:
        rows = await alerts.after(conn, unit, seq, limit)
        return await documents(conn, rows, ruleset, LiveView(projector, ruleset, pool), appeal_days) if rows else []


async def webhooks(pool: asyncpg.Pool, unit: str) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        return [dict(r) for r in await alerts.webhooks(conn, unit)]


async def deliveries(pool: asyncpg.Pool, *, unit: str | None, status: str | None, limit: int) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        return await alerts.deliveries(conn, unit=unit, status=status, limit=limit)


async def closed_month(pool: asyncpg.Pool, month: str, start: int, end: int
                       ) -> tuple[Any, list[Any], list[Any]] | None:
    """A closed month's record, its frozen results (with the live totals beside them) and the facts of
    the month that arrived after it closed; None when the month is not closed. One snapshot: a late fact
    committed between two reads would be listed beside a total it has not moved yet."""
    async with pool.acquire() as conn, read_snapshot(conn):
        info = await months.closed(conn, month)
        if info is None:
            return None
        frozen = await months.frozen_results(conn, month)
        late = await months.late_facts(conn, month, info["last_position"], to_datetime(start), to_datetime(end))
    return info, frozen, late


async def submissions(pool: asyncpg.Pool, unit: str) -> list[SubmissionRow]:
    async with pool.acquire() as conn:
        return await submission_rows.of_unit(conn, unit)


async def submission_file(pool: asyncpg.Pool, unit: str, submission_id: str) -> tuple[SubmissionRow, bytes] | None:
    async with pool.acquire() as conn:
        return await submission_rows.file_of(conn, unit, submission_id)


async def findings(pool: asyncpg.Pool, *, unit: str | None, item: str | None, month: str | None, status: str | None,
                   limit: int) -> list[FindingRow]:
    """Findings recorded here, newest first: about the unit or attributed to it, of an item, in a month."""
    start, end = (to_datetime(b) for b in month_bounds(month)) if month else (None, None)
    async with pool.acquire() as conn:
        return await finding_rows.listed(conn, unit=unit, item=item, start=start, end=end, status=status, limit=limit)


async def appeals(pool: asyncpg.Pool, *, unit: str | None, status: str | None, limit: int) -> list[AppealRow]:
    async with pool.acquire() as conn:
        return await appeal_rows.listed(conn, unit=unit, status=status, limit=limit)


async def inventory_claims(pool: asyncpg.Pool, unit: str) -> list[ClaimRow]:
    async with pool.acquire() as conn:
        return await inventory_rows.of_unit(conn, unit)


async def evidence(pool: asyncpg.Pool, month: str, ruleset_path: Path, out: IO[bytes], name: str) -> dict[str, Any]:
    """A closed month's evidence package (scoring/evidence.py) into `out`; its manifest."""
    from scoring.audit import write_evidence

    return await write_evidence(pool, month, ruleset_path, out, name)


async def bulletin(pool: asyncpg.Pool, month: str, names: dict[str, tuple[str, str]], ruleset: Ruleset
                   ) -> Bulletin | None:
    """The bulletin of a closed month (None: not closed), with the change from the month before if that
    month was closed too."""
    previous_month = shift_month(month, -1)
    async with pool.acquire() as conn:
        info = await months.closed(conn, month)
        if info is None:
            return None
        sealed = await months.sealed_results(conn, month)
        before = await months.sealed_results(conn, previous_month) if await months.is_closed(conn, previous_month) \
            else []
    closed_at = f"{info['closed_at'].astimezone(SHANGHAI):%Y-%m-%d %H:%M}"
    return compile_bulletin(month, seal=info["sha256"], closed_at=closed_at,
                            results=[r["result"] for r in sealed], names=names, ruleset=ruleset,
                            previous_month=previous_month,
                            previous={r["unit"]: Decimal(r["total"]) for r in before})


async def todo(pool: asyncpg.Pool, live: Live, unit: str, requirements: Requirements, ruleset: Ruleset,
               now: Instant, appeal_days: int) -> list[Todo] | None:
    """The unit's to-do list (domain/todo.py) as of `now`; None when the unit is not scored now."""
    from scoring.service.submissions import as_submitted

    scored = {u: (kind, absent) for u, kind, absent, _ in live.scored_units(month_of(now))}
    if unit not in scored:
        return None
    kind, absent = scored[unit]
    async with pool.acquire() as conn:
        subs = await submission_rows.of_unit(conn, unit)
        found = await finding_rows.listed(conn, unit=unit, item=None, start=None, end=None, status="recorded",
                                          limit=1000)
        appealed = {a.finding_id for a in await appeal_rows.listed(conn, unit=unit, status=None, limit=10_000)}
    by_kind: dict[str, list[Submitted]] = {}
    for r in subs:
        by_kind.setdefault(r.kind, []).append(as_submitted(r))
    return todos(unit, requirements=requirements.binding(ruleset, kind, absent), submissions=by_kind,
                 requests=await live.undecided_requests(unit),
                 findings=[(f.finding_id, f.item, to_instant(f.occurred_at)) for f in found
                           if f.unit == unit or f.attributed_unit == unit],
                 appealed=appealed, ruleset=ruleset, now=now, appeal_days=appeal_days)


async def dashboard(pool: asyncpg.Pool, live: Live, month: str, ruleset: Ruleset) -> Dashboard:
    """The province in `month` as it stands (domain/dashboard.py), against the month before and with
    the twelve months up to it."""
    previous_month = shift_month(month, -1)
    found = await month_results(pool, [month, previous_month])
    figures = [MonthFigure(r["month"], r["units"], r["mean"], r["red"], r["black"])
               for r in await month_figures(pool, month, 12)]
    return compile_dashboard(month, results=found[month], previous=found[previous_month], units=live.units(),
                             ruleset=ruleset, months=figures)


async def traffic(pool: asyncpg.Pool, upto: datetime) -> TrafficNow | None:
    """The exchange's latest counted window before `upto`, and its day so far (domain/activity.py)."""
    rows, day = await traffic_now(pool, upto)
    return read_traffic(rows, day)
