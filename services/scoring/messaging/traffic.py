"""The exchange's traffic (exchange.traffic-counted) kept per provider and window for the operators'
dashboard: calls, failures by kind, latency; and the provider alerted through its alert channels when its
last windows cross into failing or slow calls (domain/traffic_alerts.py), before the failures cost B1.8
points. A redelivered count changes nothing (the inbox, and the row's key is the provider and window)."""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg
from contracts import Envelope, topic_for
from contracts.exchange import TrafficCounted

from scoring.domain.clock import month_of, to_instant
from scoring.domain.traffic_alerts import SLIDING_WINDOWS, Span, crossed
from scoring.storage import alerts

TOPICS = [topic_for(TrafficCounted.TYPE)]
ITEM = "B1.8"  # what the failures would cost: 共享政务数据被调用失败或不可用


async def apply(conn: asyncpg.Connection, env: Envelope) -> None:
    d = env.data
    if not isinstance(d, TrafficCounted):
        return
    inserted = await conn.fetchval(
        "INSERT INTO traffic (provider, window_start, window_seconds, calls, failed, timeouts, unavailable, "
        "server_errors, bad_responses, p50_ms, p95_ms, p99_ms, response_bytes) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING RETURNING 1",
        env.unit, d.window_start, d.window_seconds, d.calls, d.failed, d.timeouts, d.unavailable, d.server_errors,
        d.bad_responses, d.p50_ms, d.p95_ms, d.p99_ms, d.response_bytes)
    if inserted:
        await _alert_if_crossed(conn, env, d)


async def _span(conn: asyncpg.Connection, provider: str, start: datetime, end: datetime) -> Span:
    r = await conn.fetchrow(
        "SELECT coalesce(sum(calls), 0) AS calls, coalesce(sum(failed), 0) AS failed, coalesce(max(p95_ms), 0) AS p95 "
        "FROM traffic WHERE provider = $1 AND window_start >= $2 AND window_start < $3", provider, start, end)
    return Span(int(r["calls"]), int(r["failed"]), float(r["p95"]))


async def _alert_if_crossed(conn: asyncpg.Connection, env: Envelope, d: TrafficCounted) -> None:
    window = timedelta(seconds=d.window_seconds)
    end = d.window_start + window
    first = end - window * SLIDING_WINDOWS
    now, before = await _span(conn, env.unit, first, end), await _span(conn, env.unit, first - window, end - window)
    reason = crossed(now, before)
    if reason is None:
        return
    month = month_of(to_instant(end))
    payload = {"alert": "traffic", "unit": env.unit, "month": month, "item": ITEM, "points": "0",
               "cause_event_ids": [], "occurred_at": end.isoformat(), "reason": reason, "from": first.isoformat(),
               "to": end.isoformat(), "calls": now.calls, "failed": now.failed,
               "failure_rate": str(now.failure_rate), "p95_ms": now.p95_ms}
    await alerts.insert_notice(conn, event_id=env.id, unit=env.unit, month=month, item=ITEM, payload=payload)
