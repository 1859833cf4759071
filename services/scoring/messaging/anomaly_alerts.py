"""Abnormal data the e-license library found (elicense.license-flagged) reaches its issuer through the
issuer's alert channels: an alert row (no points: it is about data, not a deduction) in its feed and SSE
stream, owed to each of its active webhooks, like a deduction alert. Redelivered events add nothing (the
inbox, and the alert's id is the event's)."""

from __future__ import annotations

import asyncpg
from contracts import Envelope, topic_for
from contracts.elicense import LicenseFlagged

from scoring.domain.clock import month_of, to_instant
from scoring.storage import alerts

TOPICS = [topic_for(LicenseFlagged.TYPE)]
ITEM = "B2.7"  # the central library's abnormal-data interface (电子证照总库异常数据接口)


async def apply(conn: asyncpg.Connection, env: Envelope) -> None:
    data = env.data
    if not isinstance(data, LicenseFlagged):
        return
    month = month_of(to_instant(env.occurred_at))
    payload = {"alert": "anomaly", "unit": env.unit, "month": month, "item": ITEM, "points": "0",
               "cause_event_ids": [], "occurred_at": env.occurred_at.isoformat(), **data.model_dump(mode="json")}
    await alerts.insert_notice(conn, event_id=env.id, unit=env.unit, month=month, item=ITEM, payload=payload)
