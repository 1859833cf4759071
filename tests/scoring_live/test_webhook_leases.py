"""A webhook delivery's lease, on the database: a sender whose lease ran out before its POST came back (an event
loop held up, a receiver slower than the timeout says) reports late, after another sender took the delivery
over and delivered it. The late report is logged as the attempt it was and decides nothing: the delivery stays
delivered, it is not sent a third time."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from hubkit.db import migrate_service
from scoring.storage import MIGRATIONS
from scoring.storage import alerts as repo

pytestmark = pytest.mark.integration


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    await migrate_service(database_url, "scoring", MIGRATIONS)
    connection = await asyncpg.connect(database_url, server_settings={"search_path": "scoring,public"})
    try:
        yield connection
    finally:
        await connection.close()


async def a_delivery(conn: asyncpg.Connection) -> int:
    alert = uuid.uuid4()
    await conn.execute("INSERT INTO alerts (event_id, unit, month, item, points_added, payload) "
                       "VALUES ($1, 'u', '2019-08', 'B1.8', 1, '{}'::jsonb)", alert)
    hook = await conn.fetchval("INSERT INTO webhooks (unit, url, secret) VALUES ('u', $1, 's') RETURNING id",
                               f"https://hook.example/{alert}")
    return int(await conn.fetchval("INSERT INTO deliveries (alert_id, webhook_id) VALUES ($1, $2) RETURNING id",
                                   alert, hook))


async def report(conn: asyncpg.Connection, delivery: int, attempt: int, delivered: bool) -> str:
    return await repo.record_attempt(conn, delivery_id=delivery, attempt=attempt, duration_ms=5,
                                     status_code=204 if delivered else 503, error=None if delivered else "HTTP 503",
                                     delivered=delivered, retry_in=0, window_seconds=3600)


async def test_a_report_after_the_lease_was_taken_over_decides_nothing(conn: asyncpg.Connection) -> None:
    delivery = await a_delivery(conn)
    [first] = await repo.claim_due(conn, lease_seconds=30, limit=10)
    assert await repo.claim_due(conn, lease_seconds=30, limit=10) == []  # leased
    await conn.execute("UPDATE deliveries SET next_attempt_at = now() - interval '1 second' WHERE id = $1", delivery)
    [second] = await repo.claim_due(conn, lease_seconds=30, limit=10)  # the lease ran out: taken over
    assert (first["attempts"], second["attempts"]) == (1, 2)
    assert await report(conn, delivery, 2, delivered=True) == "delivered"
    assert await report(conn, delivery, 1, delivered=False) == "superseded"  # late, failed: changes nothing
    row = await conn.fetchrow("SELECT status, attempts, last_error FROM deliveries WHERE id = $1", delivery)
    assert (row["status"], row["attempts"], row["last_error"]) == ("delivered", 2, None)
    assert [r["attempt"] for r in await conn.fetch(
        "SELECT attempt FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt", delivery)] == [1, 2]
    assert await repo.claim_due(conn, lease_seconds=30, limit=10) == []  # not sent a third time


async def test_a_late_report_of_the_current_attempt_still_counts(conn: asyncpg.Connection) -> None:
    """The lease ran out but nobody took the delivery over: the report is the delivery's latest word."""
    delivery = await a_delivery(conn)
    await repo.claim_due(conn, lease_seconds=30, limit=10)
    await conn.execute("UPDATE deliveries SET next_attempt_at = now() - interval '1 second' WHERE id = $1", delivery)
    assert await report(conn, delivery, 1, delivered=True) == "delivered"
    assert await repo.claim_due(conn, lease_seconds=30, limit=10) == []
