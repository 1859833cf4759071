"""Alerts as departments read them, their webhooks and deliveries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import asyncpg
import orjson
from hubkit.db import json_value

from scoring.service.ports import ReminderRow

# event id, unit, month, item, points added, the alert document as JSON
AlertRow = tuple[uuid.UUID, str, str, str, Decimal, bytes]

_DETAIL_FIELDS = ("resource_code", "request_id", "license_id", "call_id", "finding_id", "item", "dispute_id",
                  "batch_id", "consumer_unit", "error", "reason", "effect", "count", "purpose")


_SELECT = "SELECT seq, event_id, unit, month, item, payload, created_at, trace_headers FROM alerts "



async def last_seq(conn: asyncpg.Connection, unit: str) -> int:
    """The newest alert's sequence number of the unit (0: none yet)."""
    return int(await conn.fetchval("SELECT coalesce(max(seq), 0) FROM alerts WHERE unit = $1", unit))


async def after(conn: asyncpg.Connection, unit: str, seq: int, limit: int) -> list[asyncpg.Record]:
    return list(await conn.fetch(_SELECT +
                                 "WHERE unit = $1 AND seq > $2 ORDER BY seq LIMIT $3", unit, seq, limit))


async def latest(conn: asyncpg.Connection, unit: str, limit: int) -> list[asyncpg.Record]:
    rows = await conn.fetch(_SELECT +
                            "WHERE unit = $1 ORDER BY seq DESC LIMIT $2", unit, limit)
    return list(reversed(rows))


async def one(conn: asyncpg.Connection, event_id: Any) -> asyncpg.Record | None:
    return await conn.fetchrow(_SELECT +
                               "WHERE event_id = $1", event_id)


async def causes(conn: asyncpg.Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Archived causing events by id, summarised (type, time, the fields that name things)."""
    rows = await conn.fetch("SELECT event_id, type, unit, occurred_at, envelope FROM archive "
                            "WHERE event_id = ANY($1::uuid[])", ids)
    out = {}
    for r in rows:
        data = orjson.loads(r["envelope"]).get("data", {})
        out[str(r["event_id"])] = {
            "id": str(r["event_id"]), "type": r["type"], "unit": r["unit"],
            "occurred_at": r["occurred_at"].isoformat(),
            "details": {k: data[k] for k in _DETAIL_FIELDS if data.get(k) not in (None, "")}}
    return out


async def insert_reminders(conn: asyncpg.Connection, rows: Sequence[ReminderRow]) -> None:
    """Three statements for any number of reminders: a deadline sweep of a province sends thousands, and a
    statement per row kept the event loop (which the alert path shares) busy a quarter of the burst."""
    if not rows:
        return
    ids, units = [r.event_id for r in rows], [r.unit for r in rows]
    await conn.execute(
        "INSERT INTO alerts (event_id, unit, month, item, points_added, payload) SELECT e, u, m, i, 0, p::jsonb "
        "FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) AS t (e, u, m, i, p)",
        ids, units, [r.month for r in rows], [r.item for r in rows], [orjson.dumps(r.payload).decode() for r in rows])
    await conn.execute(
        "INSERT INTO reminders (reminder_id, event_id, unit, remind_at) "
        "SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::timestamptz[])",
        [r.reminder_id for r in rows], ids, units, [r.remind_at for r in rows])
    await conn.execute(
        "INSERT INTO deliveries (alert_id, webhook_id) SELECT t.e, w.id "
        "FROM unnest($1::uuid[], $2::text[]) AS t (e, u) JOIN webhooks w ON w.unit = t.u AND w.active", ids, units)


async def insert_notice(conn: asyncpg.Connection, *, event_id: Any, unit: str, month: str, item: str,
                        payload: dict[str, Any]) -> None:
    """An alert without points (abnormal data found in a unit's licenses), owed to the unit's webhooks;
    nothing when it is there already."""
    inserted = await conn.fetchval(
        "INSERT INTO alerts (event_id, unit, month, item, points_added, payload) VALUES ($1, $2, $3, $4, 0, "
        "$5::text::jsonb) ON CONFLICT (event_id) DO NOTHING RETURNING 1", event_id, unit, month, item,
        orjson.dumps(payload).decode())
    if inserted:
        await conn.execute("INSERT INTO deliveries (alert_id, webhook_id) SELECT $1, w.id FROM webhooks w "
                           "WHERE w.unit = $2 AND w.active", event_id, unit)


async def set_webhook(conn: asyncpg.Connection, unit: str, url: str, secret: str) -> int:
    return int(await conn.fetchval(
        "INSERT INTO webhooks (unit, url, secret) VALUES ($1, $2, $3) ON CONFLICT (unit, url) "
        "DO UPDATE SET secret = excluded.secret, active = true RETURNING id", unit, url, secret))


async def webhooks(conn: asyncpg.Connection, unit: str) -> list[asyncpg.Record]:
    return list(await conn.fetch("SELECT id, url, active, created_at FROM webhooks WHERE unit = $1 ORDER BY id",
                                 unit))


async def deactivate(conn: asyncpg.Connection, unit: str, webhook_id: int) -> bool:
    status = await conn.execute("UPDATE webhooks SET active = false WHERE unit = $1 AND id = $2", unit, webhook_id)
    return status.endswith(" 1")


async def deliveries(conn: asyncpg.Connection, *, unit: str | None, status: str | None,
                     limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT d.id, d.alert_id, w.unit, w.url, d.status, d.attempts, d.created_at, d.next_attempt_at, "
        "d.finished_at, d.last_error, (SELECT coalesce(json_agg(json_build_object('attempt', a.attempt, 'at', a.at, "
        "'status_code', a.status_code, 'error', a.error, 'duration_ms', a.duration_ms) ORDER BY a.attempt), '[]') "
        "FROM delivery_attempts a WHERE a.delivery_id = d.id) AS attempt_log "
        "FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id "
        "WHERE ($1::text IS NULL OR w.unit = $1) AND ($2::text IS NULL OR d.status = $2) "
        "ORDER BY d.id DESC LIMIT $3", unit, status, limit)
    return [{**dict(r), "alert_id": str(r["alert_id"]), "attempt_log": json_value(r["attempt_log"])} for r in rows]


async def claim_due(conn: asyncpg.Connection, lease_seconds: float, limit: int) -> list[asyncpg.Record]:
    """Due deliveries, leased so another replica does not send them at the same time."""
    return list(await conn.fetch(
        "UPDATE deliveries d SET next_attempt_at = clock_timestamp() + make_interval(secs => $1), "
        "attempts = d.attempts + 1 FROM webhooks w, alerts a "
        "WHERE d.id IN (SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= clock_timestamp() "
        "ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED) AND w.id = d.webhook_id AND a.event_id = d.alert_id "
        "RETURNING d.id, d.attempts, d.created_at, w.url, w.secret, a.event_id, a.unit, a.payload, a.seq, "
        "a.trace_headers",
        lease_seconds, limit))


async def record_attempt(conn: asyncpg.Connection, *, delivery_id: int, attempt: int, duration_ms: int,
                         status_code: int | None, error: str | None, delivered: bool, retry_in: float,
                         window_seconds: float) -> str:
    """Log the attempt; the delivery is delivered, dead (retry window over) or pending again. Returns the status,
    or "superseded": only the delivery's current attempt decides, and a sender whose lease ran out and whose
    delivery another sender took over (a later attempt) reports late; its attempt is logged, nothing else."""
    await conn.execute("INSERT INTO delivery_attempts (delivery_id, attempt, at, duration_ms, status_code, error) "
                       "VALUES ($1, $2, clock_timestamp(), $3, $4, $5)", delivery_id, attempt, duration_ms,
                       status_code, error)
    status = await conn.fetchval(
        "UPDATE deliveries SET status = CASE WHEN $2 THEN 'delivered' "
        "WHEN clock_timestamp() + make_interval(secs => $3) > created_at + make_interval(secs => $4) "
        "THEN 'dead' ELSE 'pending' END, "
        "next_attempt_at = clock_timestamp() + make_interval(secs => $3), last_error = $5, "
        "finished_at = CASE WHEN $2 OR clock_timestamp() + make_interval(secs => $3) > "
        "created_at + make_interval(secs => $4) THEN clock_timestamp() END "
        "WHERE id = $1 AND attempts = $6 AND status = 'pending' RETURNING status",
        delivery_id, delivered, retry_in, window_seconds, error, attempt)
    return "superseded" if status is None else str(status)


async def record(conn: Any, alerts: Sequence[AlertRow], traces: dict[Any, dict[str, str]]) -> None:
    """The batch's alerts (as built, with the trace each continues) and the deliveries owed for them."""
    if alerts:
        await conn.copy_records_to_table(
            "alerts",
            columns=["event_id", "unit", "month", "item", "points_added", "payload", "trace_headers"],
            # the JSON as built, not re-encoded; the trace the alert's deliveries continue
            records=[(*row[:5], orjson.Fragment(row[5]), traces.get(row[0])) for row in alerts],
        )
        # Each alert is owed to every active webhook of its unit, in the same transaction.
        await conn.execute(
            "INSERT INTO deliveries (alert_id, webhook_id) SELECT a.event_id, w.id FROM alerts a "
            "JOIN webhooks w ON w.unit = a.unit AND w.active WHERE a.event_id = ANY($1::uuid[])",
            [a[0] for a in alerts],
        )
