"""#16 on the real service: two units keep their system inventories; one has its claims verified, the other
leaves a claim unverified past its grace. The hub records A1.4, A1.7 and A2.6 itself, the live scores say
what the rules say, an inspector cannot type those items, a department keeps only its own inventory, and
an auditor's replay of the exported log gives the same scores."""

from __future__ import annotations

import asyncio
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
from tests.scoring_live.test_submissions_live import _item

pytestmark = pytest.mark.integration


def entry(kind: str = "information-system", **fields: Any) -> dict[str, Any]:
    body = {"kind": kind, "name": fields.pop("name", "业务系统"), "evidence": "桂数函〔2019〕88号", **fields}
    if kind == "information-system":
        body.setdefault("origin", "self-built")
    return body


async def test_inventories_score_themselves_on_the_live_service(database_url: str, kafka_bootstrap: str) -> None:
    diligent, idle = unique_unit(), unique_unit()
    await publish(kafka_bootstrap, [registered(diligent, "自治区清单甲厅"), registered(idle, "自治区清单乙厅")])
    settings = ScoringSettings(submissions="none", database_url=database_url, kafka_bootstrap=kafka_bootstrap,
                               outbox_poll_seconds=0.1, simulated_clock=True,
                               simulated_start="2019-06-20T10:00:00+08:00", submission_sweep_seconds=0.2)
    operator, inspector = token("operator"), token("inspector")

    async with running_app(create_app(settings)) as client:
        async def clock(at: str) -> None:
            assert (await client.put("/admin/clock", json={"now": at}, headers=operator)).status_code == 200

        async def put(unit: str, entry_id: str, body: dict[str, Any]) -> str:
            for _ in range(100):  # the unit's registration reaches the projection a moment after it is published
                r = await client.put(f"/inventory/{unit}/{entry_id}", json=body, headers=token("department", unit))
                if r.status_code != 422 or "not a registered" not in r.text:
                    break
                await asyncio.sleep(0.1)
            assert r.status_code == 201, r.text
            return str(r.json()["claim_id"])

        for unit in (diligent, idle):
            await put(unit, "net", entry("private-network", name="业务专网"))
            await put(unit, "s1", entry(name="审批系统"))
            await put(unit, "s2", entry(name="监管系统"))
        stranger = await client.put(f"/inventory/{diligent}/s3", json=entry(), headers=token("department", idle))
        assert stranger.status_code == 403
        wrong = await client.put(f"/inventory/{idle}/net", json=entry(), headers=token("department", idle))
        assert wrong.status_code == 409, wrong.text  # an entry keeps its kind

        await clock("2019-06-28T10:00:00+08:00")  # done before the judging starts (after 2019-06-30)
        verify = [await put(diligent, "net", entry("private-network", name="业务专网", connected=True,
                                                   decommissioned=True)),
                  await put(diligent, "s1", entry(name="审批系统", on_cloud=True)),
                  await put(diligent, "s2", entry(name="监管系统", on_cloud=True))]
        await clock("2019-07-01T10:00:00+08:00")
        unverified = await put(idle, "s1", entry(name="审批系统", on_cloud=True))
        await clock("2019-07-02T10:00:00+08:00")
        by_department = await client.post(f"/inventory/{diligent}/claims/{verify[0]}/verify",
                                          headers=token("department", diligent))
        assert by_department.status_code == 403  # a unit does not verify its own claims
        for claim_id in verify:
            r = await client.post(f"/inventory/{diligent}/claims/{claim_id}/verify", headers=inspector)
            assert r.status_code == 200 and r.json()["status"] == "verified", r.text
        typed = await client.post("/findings", headers=inspector, json={
            "finding_id": f"typed-{idle}", "unit": idle, "item": "A2.6", "effect": "rate", "numerator": 0,
            "denominator": 2})
        assert typed.status_code == 422 and "system inventories" in typed.json()["detail"]
        shown = (await client.get(f"/inventory/{idle}", headers=token("department", idle))).json()
        peek = await client.get(f"/inventory/{idle}", headers=token("department", diligent))
        assert peek.status_code == 403  # another department does not read the unit's inventory
        pending = next(c for c in shown["claims"] if c["claim_id"] == unverified)
        assert pending["status"] == "claimed" and pending["believed_until"] == "2019-07-16T00:00:00+08:00"
        a26 = next(i for i in shown["items"] if i["item"] == "A2.6")
        assert (a26["numerator"], a26["denominator"]) == (1, 2)  # believed within its grace

        # Event time reaches August; the idle unit's claim was never verified: from 16 July it counts no more.
        await clock("2019-08-02T10:00:00+08:00")
        await publish(kafka_bootstrap, [failed_call(unique_unit(), unique_unit(), 20)])
        for item, points in (("A2.6", "5.00"), ("A1.4", "2.00"), ("A1.7", "3.00")):
            await eventually(client, f"/scores/{idle}?month=2019-07", lambda b, i=item, p=points: _item(b, i) == p,
                             operator, timeout=40)
        july = (await client.get(f"/scores/{diligent}?month=2019-07", headers=operator)).json()
        assert all(_item(july, i) is None for i in ("A1.4", "A1.7", "A2.6"))
        explained = (await client.get(f"/scores/{idle}?month=2019-07", headers=operator)).json()
        a26_item = next(i for ind in explained["indicators"] for i in ind["items"] if i["item"] == "A2.6")
        assert a26_item["facts_from"] == "inventory"
        assert "已迁移上云 0/2" in a26_item["events"][-1]["details"]["note"]
        board = (await client.get("/scores?month=2019-07", headers=operator)).json()
        live = {u["unit"]: (u["x"], u["total"]) for u in board["units"]}

    out = io.BytesIO()
    await asyncio.to_thread(export, settings, "2019-07", out)
    out.seek(0)
    replayed = orjson.loads(replay(numbered_lines(out), builtin_ruleset(), "2019-07").result.replay_json())
    audit = {u["unit"]: (u["x"], u["total"]) for u in replayed["units"]}
    for unit in (diligent, idle):
        assert audit[unit] == live[unit], unit
