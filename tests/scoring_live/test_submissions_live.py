"""#16 on the real service: four units (on time, late, never, returned) submit — or not — the survey form
A1.1 asks for; once the event time passes the deadline the hub records the misses itself, the live scores
say what the rules say, the explanation names the missing document, and an auditor's replay of the
exported log gives the same scores."""

from __future__ import annotations

import asyncio
import base64
import io
from typing import Any

import orjson
import pytest
from hubkit.testing import running_app, token
from scoring.audit import export
from scoring.bootstrap import create_app
from scoring.domain.ruleset import builtin_ruleset
from scoring.replay import numbered_lines, replay
from scoring.settings import ScoringSettings

from tests.scoring_live.test_live_projection import failed_call, publish, registered, unique_unit
from tests.scoring_live.test_scoring_api import eventually

pytestmark = pytest.mark.integration
PDF = base64.b64encode(b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n").decode()


async def test_a_month_of_submissions_on_the_live_service(database_url: str, kafka_bootstrap: str) -> None:
    on_time, late, never, returned = (unique_unit() for _ in range(4))
    await publish(kafka_bootstrap, [registered(u, f"自治区测试{n}厅") for n, u in enumerate((on_time, late, never,
                                                                                          returned))])
    settings = ScoringSettings(database_url=database_url, kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.1,
                               simulated_clock=True, simulated_start="2019-06-20T10:00:00+08:00",
                               submission_sweep_seconds=0.2)
    operator, inspector = token("operator"), token("inspector")

    async def clock(at: str) -> None:
        r = await client.put("/admin/clock", json={"now": at}, headers=operator)
        assert r.status_code == 200, r.text

    async def send(unit: str) -> str:
        body = {"kind": "private-network-survey", "file_name": "专网信息调查表.pdf", "file_base64": PDF}
        for _ in range(100):  # the unit's registration reaches the projection a moment after it is published
            r = await client.post(f"/submissions/{unit}", json=body, headers=token("department", unit))
            if r.status_code != 422:
                break
            await asyncio.sleep(0.1)
        assert r.status_code == 201, r.text
        return str(r.json()["submission_id"])

    async with running_app(create_app(settings)) as client:
        first, bounced = await send(on_time), await send(returned)
        wrong = await client.post(f"/submissions/{never}", headers=token("department", never),
                                  json={"kind": "private-network-survey", "file_name": "表.docx", "file_base64": PDF})
        assert wrong.status_code == 422 and "named .docx" in wrong.json()["detail"]
        await clock("2019-07-08T09:00:00+08:00")
        assert (await client.post(f"/submissions/{on_time}/{first}/accept", headers=inspector)).status_code == 200
        r = await client.post(f"/submissions/{returned}/{bounced}/return", headers=inspector,
                              json={"reason": "缺少非密机房清单"})
        assert r.status_code == 200 and r.json()["status"] == "returned"
        await clock("2019-07-10T10:00:00+08:00")
        tardy = await send(late)
        await clock("2019-07-15T10:00:00+08:00")
        assert (await client.post(f"/submissions/{late}/{tardy}/accept", headers=inspector)).status_code == 200
        listed = (await client.get(f"/submissions/{late}", headers=token("department", late))).json()
        assert [(s["status"], s["received_at"]) for s in listed] == [("accepted", "2019-07-10T10:00:00+08:00")]
        file = await client.get(f"/submissions/{late}/{tardy}/file", headers=inspector)
        assert file.status_code == 200 and file.content.startswith(b"%PDF")

        # Event time reaches August (a fact of another unit): the July deadline has passed for everyone.
        await publish(kafka_bootstrap, [failed_call(unique_unit(), unique_unit(), 20)])
        for unit, points in ((late, "1.00"), (never, "1.00"), (returned, "1.00")):
            await eventually(client, f"/scores/{unit}?month=2019-07",
                        lambda b, p=points: _item(b, "A1.1") == p, operator)
        july = (await client.get(f"/scores/{on_time}?month=2019-07", headers=operator)).json()
        assert _item(july, "A1.1") is None
        # The late unit's flag ended with its acceptance in July: August is clean (the shared broker may
        # have carried the event time past July before the test submitted, so the end may come a sweep later).
        for unit, points in ((on_time, None), (late, None), (never, "1.00"), (returned, "1.00")):
            await eventually(client, f"/scores/{unit}?month=2019-08", lambda b, p=points: _item(b, "A1.1") == p,
                             operator, timeout=40)
        explained = (await client.get(f"/scores/{never}?month=2019-08", headers=operator)).json()
        a11 = next(i for ind in explained["indicators"] for i in ind["items"] if i["item"] == "A1.1")
        assert "未按要求报送《自治区本级现有业务专网信息调查表》" in a11["events"][0]["details"]["note"]
        assert a11["facts_from"] == "submissions"  # the console shows where each item's facts come from

        board = (await client.get("/scores?month=2019-08", headers=operator)).json()
        live = {u["unit"]: (u["x"], u["total"]) for u in board["units"]}

    # The auditor's replay of the exported log gives the live scores.
    out = io.BytesIO()
    await asyncio.to_thread(export, settings, "2019-08", out)  # the auditor's command, on its own loop
    out.seek(0)
    replayed = orjson.loads(replay(numbered_lines(out), builtin_ruleset(), "2019-08").result.replay_json())
    audit = {u["unit"]: (u["x"], u["total"]) for u in replayed["units"]}
    for unit in (on_time, late, never, returned):
        assert audit[unit] == live[unit], unit


def _item(body: dict[str, Any], item: str) -> str | None:
    for ind in body.get("indicators", []):
        for i in ind["items"]:
            if i["item"] == item:
                return str(i["points"])
    return None


async def test_a_unit_is_reminded_before_a_deadline_through_its_alerts(database_url: str,
                                                                       kafka_bootstrap: str) -> None:
    """Three working days before the July progress reports are due (by the 5th) a unit that has sent
    nothing sees a reminder in its alert feed; one that reported sees none for that report."""
    quiet, diligent = unique_unit(), unique_unit()
    await publish(kafka_bootstrap, [registered(quiet, "自治区提醒测试甲厅"), registered(diligent, "自治区提醒测试乙厅"),
                                    failed_call(unique_unit(), unique_unit(), 20)])  # event time: August
    settings = ScoringSettings(inventory="none", database_url=database_url, kafka_bootstrap=kafka_bootstrap,
                               outbox_poll_seconds=0.1, simulated_clock=True,
                               simulated_start="2019-07-02T10:00:00+08:00", submission_sweep_seconds=0.2)
    async with running_app(create_app(settings)) as client:
        body = {"kind": "network-docking-progress", "period": "2019-07", "file_name": "7月对接进度.pdf",
                "file_base64": PDF}
        for _ in range(100):  # the registration reaches the projection a moment after it is published
            r = await client.post(f"/submissions/{diligent}", json=body, headers=token("department", diligent))
            if r.status_code != 422:
                break
            await asyncio.sleep(0.1)
        assert r.status_code == 201, r.text
        r = await client.put("/admin/clock", json={"now": "2019-07-03T10:00:00+08:00"}, headers=token("operator"))
        assert r.status_code == 200

        def reminded(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [d for d in docs if d["type"] == "scoring.deadline-reminded"
                    and (d["kind"], d["period"]) == ("network-docking-progress", "2019-07")]

        for _ in range(300):  # the watermark must pass 3 July: the August event has to be fetched (shared broker)
            docs = (await client.get(f"/alerts/{quiet}", headers=token("department", quiet))).json()
            if reminded(docs):
                break
            await asyncio.sleep(0.2)
        [doc] = reminded(docs)
        assert doc["working_days_left"] == 3 and "2019-07-05 24:00" in doc["title"] and "A1.3" in doc["text"]
        others = (await client.get(f"/alerts/{diligent}", headers=token("department", diligent))).json()
        assert not reminded(others)
