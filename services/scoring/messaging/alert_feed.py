"""Alert documents as departments receive them (SSE, webhooks, list): the event plus its words."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from hubkit.db import json_value
from hubkit.telemetry import context_from_headers
from opentelemetry import trace

from scoring.domain.alert_text import (
    appeal_windows,
    open_requests,
    render,
    render_anomaly,
    render_reminder,
    render_traffic,
)
from scoring.domain.clock import to_datetime
from scoring.domain.facts import UnitFacts
from scoring.domain.ruleset import Ruleset
from scoring.storage import alerts as repo
from scoring.views import LiveView


async def documents(conn: asyncpg.Connection, rows: list[Any], ruleset: Ruleset,
                    live: LiveView, appeal_days: int = 5) -> list[dict[str, Any]]:
    """What the unit owes now comes from its facts (`live.facts_of`: memory on the shard owning the unit, its
    archived events on another), so every instance words an alert alike."""
    payloads = [json_value(r["payload"]) for r in rows]
    cause_ids = sorted({i for p in payloads for i in p["cause_event_ids"]})
    causes = await repo.causes(conn, cause_ids)
    now = to_datetime(live.watermark) if live.watermark is not None else None
    facts: dict[str, UnitFacts] = {}
    items = ruleset.items
    docs = []
    for row, payload in zip(rows, payloads, strict=True):
        item = items.get(payload["item"])
        if payload.get("alert") == "anomaly":
            docs.append({"id": str(row["event_id"]), "seq": row["seq"], "type": "elicense.license-flagged",
                         "created_at": _iso(row["created_at"]), **payload, **render_anomaly(payload), "causes": []})
            continue
        if payload.get("alert") == "traffic":
            docs.append({"id": str(row["event_id"]), "seq": row["seq"], "type": "exchange.traffic-counted",
                         "created_at": _iso(row["created_at"]), **payload, **render_traffic(payload), "causes": []})
            continue
        if payload.get("alert") == "reminder":
            docs.append({"id": str(row["event_id"]), "seq": row["seq"], "type": "scoring.deadline-reminded",
                         "created_at": _iso(row["created_at"]), **payload,
                         **render_reminder(payload, item.label_zh if item else payload["item"]), "causes": []})
            continue
        mine = [causes.get(i, {"id": i}) for i in payload["cause_event_ids"]]
        unit = payload["unit"]
        if unit not in facts:  # a list is one unit's alerts: its facts read once (from the archive off its shard)
            facts[unit] = await live.facts_of(unit)
        obligations = [*open_requests(facts[unit].exchange, now),
                       *appeal_windows(mine, appeal_days, now)] if now else []
        words = render(payload, item.label_zh if item else payload["item"], mine, obligations)
        docs.append({"id": str(row["event_id"]), "seq": row["seq"], "type": "scoring.deduction-alerted",
                     "created_at": _iso(row["created_at"]), "trace_id": trace_id(row), **payload, **words,
                     "causes": [causes.get(i, {"id": i}) for i in payload["cause_event_ids"]]})
    return docs


def trace_id(row: Any) -> str | None:
    """The trace the alert continues (open it in Jaeger: /trace/<id>), from its stored W3C context."""
    headers = json_value(row.get("trace_headers")) if hasattr(row, "get") else None
    span = trace.get_current_span(context_from_headers(headers))
    context = span.get_span_context()
    return trace.format_trace_id(context.trace_id) if context.is_valid else None


def _iso(value: datetime) -> str:
    return value.isoformat()
