"""A closed month's view reads one snapshot: its late facts and the adjusted totals they make agree.

Test_scoring_api once read an adjustment listed with the total it moves still unchanged, under CI load only:
the view read the frozen results (with the live totals) and the late facts in two statements, and the
projection committed the late fact between them. Here the commit is made to land exactly there."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import asyncpg
import pytest
from hubkit.testing import running_app, token
from scoring.bootstrap import create_app
from scoring.settings import ScoringSettings
from scoring.storage import months

from tests.scoring_live.test_live_projection import SH, failed_call, publish, registered, score_of, unique_unit
from tests.scoring_live.test_scoring_api import close_month, eventually

pytestmark = pytest.mark.integration


async def test_late_facts_and_adjusted_totals_come_from_one_snapshot(
    database_url: str, kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider, consumer = unique_unit(), unique_unit()
    await publish(kafka_bootstrap, [registered(provider, "自治区快照厅"), registered(consumer, "自治区对照厅"),
                                    failed_call(provider, consumer, 5),
                                    failed_call(consumer, provider, 1).model_copy(
                                        update={"occurred_at": datetime(2019, 9, 2, 9, 0, tzinfo=SH)})])
    settings = ScoringSettings(submissions="none", inventory="none", database_url=database_url,
                               kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.1)
    operator = token("operator")
    async with running_app(create_app(settings)) as client:
        await eventually(client, f"/scores/{consumer}?month=2019-09", lambda b: True, operator)
        assert (await close_month(client, "2019-08", operator)).status_code == 201
        frozen = (await score_of(database_url, provider))["total"]  # type: ignore[index]
        read_late = months.late_facts

        async def late_facts_after_a_commit(conn: asyncpg.Connection, *args: Any) -> list[asyncpg.Record]:
            # The late fact is published and committed after the view read the totals, before it reads the facts.
            await publish(kafka_bootstrap, [failed_call(provider, consumer, 30)])
            for _ in range(300):
                row = await score_of(database_url, provider)
                if row is not None and row["total"] != frozen:
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the late fact was not committed")
            return await read_late(conn, *args)

        monkeypatch.setattr(months, "late_facts", late_facts_after_a_commit)
        view = (await client.get("/months/2019-08", headers=operator)).json()
        monkeypatch.setattr(months, "late_facts", read_late)
        row = next(u for u in view["units"] if u["unit"] == provider)
        listed = any(a["unit"] == provider for a in view["adjustments"])
        assert listed == row["adjusted"], (view["adjustments"], row)  # both or neither, never one without the other
        after = (await client.get("/months/2019-08", headers=operator)).json()
        assert any(a["unit"] == provider for a in after["adjustments"])
        assert next(u for u in after["units"] if u["unit"] == provider)["adjusted"] is True
