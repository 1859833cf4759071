"""#16 on the real service: a unit the bureau exempts (标注红色的单位不列入检查和考核) leaves the leaderboard from
the exemption's month on, its stored results for those months are withdrawn, the board lists it as not
checked with the document, its breakdown says why there is none, and the console shows it."""

from __future__ import annotations

from datetime import date, datetime

import asyncpg
import pytest
from contracts.envelope import new_envelope
from contracts.registry_events import UnitRegistered
from hubkit.testing import running_app, token
from scoring.bootstrap import create_app
from scoring.domain.clock import SHANGHAI
from scoring.settings import ScoringSettings

from tests.scoring_live.test_live_projection import failed_call, publish, registered, score_of, unique_unit
from tests.scoring_live.test_scoring_api import eventually

pytestmark = pytest.mark.integration
BASIS = "桂数函〔2019〕258号附件1标注红色"


async def test_an_exempt_unit_leaves_the_board_from_its_month(database_url: str, kafka_bootstrap: str) -> None:
    red, other = unique_unit(), unique_unit()
    await publish(kafka_bootstrap, [registered(red, "自治区测试红标厅"), registered(other, "自治区测试对照厅"),
                                    failed_call(red, other, 5)])
    settings = ScoringSettings(submissions="none", inventory="none", database_url=database_url,
                               kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.1)
    operator = token("operator")
    async with running_app(create_app(settings)) as client:
        await eventually(client, f"/scores/{red}?month=2019-08", lambda b: b["total"] is not None, operator)
        assert await score_of(database_url, red, "2019-07") is not None
        await eventually(client, "/scores?month=2019-08", lambda b: red in {u["unit"] for u in b["units"]}, operator)
        exempted = new_envelope(UnitRegistered(name="自治区测试红标厅", kind="department", division_code="450000",
                                               exempt_from=date(2019, 8, 5), exempt_basis=BASIS),
                                unit=red, occurred_at=datetime(2019, 8, 10, 9, tzinfo=SHANGHAI))
        await publish(kafka_bootstrap, [exempted])
        board = await eventually(client, "/scores?month=2019-08", lambda b: any(e["unit"] == red for e in b["exempt"])
                                 and red not in {u["unit"] for u in b["units"]}, operator)
        assert other in {u["unit"] for u in board["units"]}
        shown = next(e for e in board["exempt"] if e["unit"] == red)
        assert (shown["exempt_from"], shown["exempt_basis"]) == ("2019-08-05", BASIS)
        missing = await client.get(f"/scores/{red}?month=2019-08", headers=operator)
        assert missing.status_code == 404 and "is not checked from 2019-08-05" in missing.json()["detail"]
        assert await score_of(database_url, red, "2019-08") is None  # the stored result is withdrawn
        july = await client.get(f"/scores/{red}?month=2019-07", headers=operator)
        assert july.status_code == 200  # before the exemption's month: scored
        client.cookies.set("hub_console", operator["Authorization"][7:])
        page = await client.get("/console/leaderboard", params={"month": "2019-08"})
        assert "不列入检查和考核" in page.text and "自治区测试红标厅" in page.text


async def test_a_restart_withdraws_a_stored_result_of_a_month_the_unit_is_not_checked_in(
    database_url: str, kafka_bootstrap: str
) -> None:
    """Memory starts with nothing published, so a stored row of an exempt unit-month (left by a release
    before exemptions, or a hand edit) would never be seen as withdrawn: the rebuild makes rows agree."""
    red = unique_unit()
    exempted = new_envelope(UnitRegistered(name="自治区测试红标厅", kind="department", division_code="450000",
                                           exempt_from=date(2019, 8, 1), exempt_basis=BASIS),
                            unit=red, occurred_at=datetime(2019, 7, 20, 9, tzinfo=SHANGHAI))
    await publish(kafka_bootstrap, [registered(red, "自治区测试红标厅"), exempted, failed_call(red, unique_unit(), 5)])
    settings = ScoringSettings(submissions="none", inventory="none", database_url=database_url,
                               kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.1)
    operator = token("operator")
    async with running_app(create_app(settings)) as client:
        await eventually(client, f"/scores/{red}?month=2019-07", lambda b: b["total"] is not None, operator)
    assert await score_of(database_url, red, "2019-08") is None
    conn = await asyncpg.connect(database_url)
    try:  # a stale row for August, copied from July's
        await conn.execute("INSERT INTO scoring.scores SELECT unit, '2019-08', "
                           + ", ".join(c for c in await _columns(conn) if c not in ("unit", "month"))
                           + " FROM scoring.scores WHERE unit = $1 AND month = '2019-07'", red)
    finally:
        await conn.close()
    assert await score_of(database_url, red, "2019-08") is not None
    async with running_app(create_app(settings)) as client:
        await eventually(client, "/scores?month=2019-08", lambda b: any(e["unit"] == red for e in b["exempt"]),
                         operator)
        assert await score_of(database_url, red, "2019-08") is None
        assert (await client.get(f"/scores/{red}?month=2019-07", headers=operator)).status_code == 200


async def _columns(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch("SELECT column_name FROM information_schema.columns WHERE table_schema = 'scoring' "
                            "AND table_name = 'scores' ORDER BY ordinal_position")
    return [r["column_name"] for r in rows]
