"""Two scoring instances of the same shard (a second replica, a redeploy that starts the new one before the old one
stops): one projects, the other waits as a hot standby, not ready, committing nothing; when the first stops,
the standby takes the shard over from the database (archive and offsets) and goes on where it left off, and
the scores are those one instance alone gives."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

import asyncpg
import httpx
import pytest
from contracts import encode
from hubkit.testing import running_app
from scoring.bootstrap import create_app
from scoring.domain.ruleset import builtin_ruleset
from scoring.replay import replay
from scoring.settings import ScoringSettings

from tests.scoring_live.test_alerts import until
from tests.scoring_live.test_live_projection import failed_call, publish, registered, unique_unit, wait_score

pytestmark = pytest.mark.integration


async def readiness(client: httpx.AsyncClient) -> dict[str, Any]:
    r = await client.get("/ready")
    return {"ready": r.status_code == 200, **r.json()["checks"]}


async def test_a_second_instance_of_a_shard_is_a_standby_that_takes_over(database_url: str,
                                                                          kafka_bootstrap: str) -> None:
    provider, consumer = unique_unit(), unique_unit()
    settings = ScoringSettings(database_url=database_url, kafka_bootstrap=kafka_bootstrap, submissions="none",
                               inventory="none", outbox_poll_seconds=0.05)
    first_events = [registered(provider, "自治区备用厅"), registered(consumer, "自治区接替厅"),
                    failed_call(provider, consumer, 5)]
    later = failed_call(provider, consumer, 6)
    async with AsyncExitStack() as stack:
        first, second = AsyncExitStack(), AsyncExitStack()
        stack.push_async_callback(second.aclose)
        stack.push_async_callback(first.aclose)
        active = await first.enter_async_context(running_app(create_app(settings)))
        await until(lambda: _ready(active))
        standby = await second.enter_async_context(running_app(create_app(settings)))
        await publish(kafka_bootstrap, first_events)
        await wait_score(database_url, provider, "98.00", timeout=60)  # the first failure
        await asyncio.sleep(1.0)  # time enough for a second projector to have tried a commit
        state = await readiness(standby)
        assert not state["ready"] and state["projection"].startswith("standby"), state
        assert (await readiness(active))["ready"]

        # A standby follows the archive while it waits: taking over folds what is left, not everything.
        head = await until(lambda: _followed_to_the_head(database_url, standby), timeout=30)
        await first.aclose()  # the active one stops: the standby takes the shard over
        await until(lambda: _ready(standby), timeout=60)
        assert standby._transport.app.state.projector.rebuilt_from >= head  # type: ignore[attr-defined]
        await publish(kafka_bootstrap, [later])
        after = await wait_score(database_url, provider, "96.00", timeout=60)  # and the one after the takeover
    # One instance alone, replaying the same events, at the instant the live row stands on:
    alone = replay(enumerate([encode(e) for e in [*first_events, later]], 1), builtin_ruleset(), "2019-08",
                   as_of=after["as_of"])
    assert after["total"] == next(u for u in alone.result.units if u.unit == provider).total


async def _followed_to_the_head(url: str, standby: httpx.AsyncClient) -> int | None:
    conn = await asyncpg.connect(url)
    try:
        head = int(await conn.fetchval("SELECT coalesce(max(position), 0) FROM scoring.archive"))
    finally:
        await conn.close()
    warm = standby._transport.app.state.projector.warm  # type: ignore[attr-defined]
    return head if head and warm is not None and warm.position == head else None


async def _ready(client: httpx.AsyncClient) -> bool:
    return bool((await readiness(client))["ready"])
