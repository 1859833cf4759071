"""#16 findings with a lifecycle on the real service: listed, withdrawn with a reason (the deduction goes,
the ledger and the month say why), and a withdrawal after the month's close is an adjustment beside the
sealed result, which stays as it was."""

from __future__ import annotations

from datetime import datetime

import pytest
from hubkit.testing import running_app, token
from scoring.bootstrap import create_app
from scoring.settings import ScoringSettings

from tests.scoring_live.test_live_projection import SH, failed_call, publish, registered, unique_unit
from tests.scoring_live.test_scoring_api import close_month, eventually

pytestmark = pytest.mark.integration


async def test_a_finding_withdrawn_after_the_close_is_an_adjustment(database_url: str, kafka_bootstrap: str) -> None:
    unit, other = unique_unit(), unique_unit()
    await publish(kafka_bootstrap, [registered(unit, "自治区申诉厅"), registered(other, "自治区旁观厅")])
    settings = ScoringSettings(submissions="none", inventory="none",  # about findings only
                               database_url=database_url, kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.1,
                               simulated_clock=True, simulated_start="2019-08-10T10:00:00+08:00")
    operator, inspector, own = token("operator"), token("inspector"), token("department", unit)
    async with running_app(create_app(settings)) as client:
        finding = {"finding_id": f"f-{unit}", "unit": unit, "item": "A1.2", "effect": "holds",
                   "occurred_at": "2019-08-10T09:00:00+08:00", "note": "未见迁移计划"}
        assert (await client.post("/findings", json=finding, headers=inspector)).status_code == 202
        await eventually(client, f"/scores/{unit}?month=2019-08", lambda b: b["x"] == "98.00", own)
        listed = (await client.get("/findings", params={"unit": unit}, headers=own)).json()
        assert [(f["finding_id"], f["status"], f["note"]) for f in listed] == [
            (f"f-{unit}", "recorded", "未见迁移计划")]
        assert (await client.get("/findings", headers=own)).status_code == 422  # a department names its unit
        assert (await client.get("/findings", params={"unit": other}, headers=own)).status_code == 403

        # August closes once September has begun in event time; then the finding is withdrawn.
        await publish(kafka_bootstrap, [failed_call(other, unique_unit(), 1).model_copy(
            update={"occurred_at": datetime(2019, 9, 2, 9, 0, tzinfo=SH)})])
        await eventually(client, f"/scores/{other}?month=2019-09", lambda b: True, operator)
        closed = await close_month(client, "2019-08", operator)
        assert closed.status_code == 201, closed.text
        await client.put("/admin/clock", json={"now": "2019-09-05T10:00:00+08:00"}, headers=operator)
        r = await client.post(f"/findings/f-{unit}/retract", json={"reason": "已于7月报送，系统未录入"},
                              headers=inspector)
        assert r.status_code == 200 and r.json()["status"] == "retracted", r.text
        again = await client.post(f"/findings/f-{unit}/retract", json={"reason": "x"}, headers=inspector)
        assert again.status_code == 409
        assert (await client.post(f"/findings/f-{unit}/retract", json={"reason": "x"}, headers=own)).status_code == 403

        await eventually(client, f"/scores/{unit}?month=2019-08", lambda b: b["x"] == "100.00", own)
        month = await eventually(client, "/months/2019-08", lambda b: any(
            a["type"] == "scoring.finding-retracted" for a in b["adjustments"]), operator)
        row = next(u for u in month["units"] if u["unit"] == unit)
        assert row["frozen_total"] == "98.00" and row["adjusted_total"] == "100.00" and row["adjusted"] is True
        withdrawal = next(a for a in month["adjustments"] if a["type"] == "scoring.finding-retracted")
        assert withdrawal["unit"] == unit and withdrawal["reason"] == "已于7月报送，系统未录入"
        assert [f["status"] for f in (await client.get("/findings", params={"unit": unit, "status": "retracted"},
                                                      headers=operator)).json()] == ["retracted"]


async def test_an_appeal_upheld_after_the_close_shows_as_an_adjustment(database_url: str,
                                                                        kafka_bootstrap: str) -> None:
    unit, other = unique_unit(), unique_unit()
    await publish(kafka_bootstrap, [registered(unit, "自治区申诉二厅"), registered(other, "自治区旁观二厅")])
    settings = ScoringSettings(submissions="none", inventory="none",  # about findings only
                               database_url=database_url, kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.1,
                               simulated_clock=True, simulated_start="2019-08-28T10:00:00+08:00")
    operator, inspector, own = token("operator"), token("inspector"), token("department", unit)
    async with running_app(create_app(settings)) as client:
        finding = {"finding_id": f"g-{unit}", "unit": unit, "item": "A1.4", "effect": "holds",
                   "occurred_at": "2019-08-28T09:00:00+08:00"}
        assert (await client.post("/findings", json=finding, headers=inspector)).status_code == 202
        await eventually(client, f"/scores/{unit}?month=2019-08", lambda b: b["x"] == "98.00", own)
        lodged = await client.post(f"/findings/g-{unit}/appeal", json={"reason": "专网已于8月20日联通"}, headers=own)
        assert lodged.status_code == 201, lodged.text
        appeal_id = lodged.json()["appeal_id"]
        assert (await client.post(f"/findings/g-{unit}/appeal", json={"reason": "x"},
                                  headers=token("department", other))).status_code == 403
        assert [a["appeal_id"] for a in (await client.get("/appeals", headers=own)).json()] == [appeal_id]

        await publish(kafka_bootstrap, [failed_call(other, unique_unit(), 1).model_copy(
            update={"occurred_at": datetime(2019, 9, 2, 9, 0, tzinfo=SH)})])
        await eventually(client, f"/scores/{other}?month=2019-09", lambda b: True, operator)
        assert (await close_month(client, "2019-08", operator)).status_code == 201
        sealed = (await client.get("/months/2019-08", headers=operator)).json()
        marked = next(u for u in sealed["units"] if u["unit"] == unit)["under_appeal"]
        assert [(a["appeal_id"], a["status"]) for a in marked] == [(appeal_id, "lodged")]  # final but for it
        assert next(u for u in sealed["units"] if u["unit"] == other)["under_appeal"] == []
        decided = await client.post(f"/appeals/{appeal_id}/decision", headers=operator,
                                    json={"upheld": True, "reason": "联通记录属实"})
        assert decided.status_code == 200 and decided.json()["status"] == "upheld", decided.text
        await eventually(client, f"/scores/{unit}?month=2019-08", lambda b: b["x"] == "100.00", own)
        month = await eventually(client, "/months/2019-08", lambda b: any(
            a["type"] == "scoring.finding-retracted" and a["unit"] == unit for a in b["adjustments"]), operator)
        row = next(u for u in month["units"] if u["unit"] == unit)
        assert (row["frozen_total"], row["adjusted_total"]) == ("98.00", "100.00")
        withdrawal = next(a for a in month["adjustments"] if a["type"] == "scoring.finding-retracted")
        assert withdrawal["reason"] == "申诉成立：联通记录属实"
        assert [a["status"] for a in row["under_appeal"]] == ["upheld"]
