"""A sweep's reminders go in three statements whatever their number (storage.alerts.insert_reminders): what a
statement per reminder did, they do. Each reminder is an alert with no points and a row that keeps it from
being sent twice; its delivery is owed to each active webhook of its own unit, no other."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest
from scoring.service.ports import ReminderRow
from scoring.storage import alerts

pytestmark = pytest.mark.integration
AT = datetime(2019, 7, 24, 1, tzinfo=UTC)
HOOKED, QUIET, UNHOOKED = "114500000000000001", "114500000000000002", "114500000000000003"


def reminder(unit: str, item: str = "A1.3") -> ReminderRow:
    return ReminderRow(reminder_id=f"remind:{unit}:{item}:2019-07", event_id=uuid.uuid4(), unit=unit,
                       month="2019-07", item=item, remind_at=AT,
                       payload={"alert": "reminder", "unit": unit, "item": item, "working_days_left": 3})


async def test_reminders_in_bulk_are_alerts_owed_to_their_own_units_active_webhooks(scoring_pool: asyncpg.Pool) -> None:
    pool = scoring_pool
    async with pool.acquire() as conn:
        await conn.executemany("INSERT INTO webhooks (unit, url, secret, active) VALUES ($1, $2, 's', $3)",
                               [(HOOKED, "http://a.example/hook", True), (HOOKED, "http://b.example/hook", True),
                                (QUIET, "http://c.example/hook", False)])
        rows = [reminder(HOOKED), reminder(HOOKED, "A2.1"), reminder(QUIET), reminder(UNHOOKED)]
        await alerts.insert_reminders(conn, rows)
        await alerts.insert_reminders(conn, [])
        stored = {r["event_id"]: r for r in await conn.fetch("SELECT * FROM alerts")}
        kept = {r["reminder_id"]: r for r in await conn.fetch("SELECT * FROM reminders")}
        owed = await conn.fetch("SELECT d.alert_id, w.unit, w.url FROM deliveries d JOIN webhooks w "
                                "ON w.id = d.webhook_id ORDER BY w.url")
    assert set(stored) == {r.event_id for r in rows}
    for r in rows:
        got = stored[r.event_id]
        assert (got["unit"], got["month"], got["item"], got["points_added"], got["payload"]) == \
            (r.unit, r.month, r.item, 0, r.payload)
        assert (kept[r.reminder_id]["event_id"], kept[r.reminder_id]["unit"],
                kept[r.reminder_id]["remind_at"]) == (r.event_id, r.unit, AT)
    assert sorted((d["alert_id"], d["url"]) for d in owed) == sorted(
        (r.event_id, url) for r in rows[:2] for url in ("http://a.example/hook", "http://b.example/hook"))


async def test_a_reminder_sent_already_refuses_the_whole_batch(scoring_pool: asyncpg.Pool) -> None:
    pool = scoring_pool
    async with pool.acquire() as conn:
        first = reminder(HOOKED)
        await alerts.insert_reminders(conn, [first])
        again = [reminder(QUIET), ReminderRow(**{**_fields(first), "event_id": uuid.uuid4()})]
        with pytest.raises(asyncpg.UniqueViolationError):
            async with conn.transaction():
                await alerts.insert_reminders(conn, again)
        assert await conn.fetchval("SELECT count(*) FROM alerts") == 1
        assert await conn.fetchval("SELECT count(*) FROM reminders") == 1


def _fields(r: ReminderRow) -> dict[str, object]:
    return {f: getattr(r, f) for f in ReminderRow.__slots__}  # type: ignore[attr-defined]
