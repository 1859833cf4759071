"""#20 part 2 on the real service: a department reads its own to-do list (documents due with their working
days, findings it may still appeal), and nobody else's."""

from __future__ import annotations

import pytest
from hubkit.testing import running_app, token
from scoring.bootstrap import create_app
from scoring.settings import ScoringSettings

from tests.scoring_live.test_live_projection import failed_call, publish, registered, unique_unit
from tests.scoring_live.test_scoring_api import eventually

pytestmark = pytest.mark.integration


async def test_a_department_reads_what_it_can_still_do_in_time(database_url: str, kafka_bootstrap: str) -> None:
    unit, other = unique_unit(), unique_unit()
    await publish(kafka_bootstrap, [registered(unit, "自治区待办厅"), registered(other, "自治区旁观厅"),
                                    failed_call(other, unique_unit(), 1)])
    settings = ScoringSettings(inventory="none", database_url=database_url, kafka_bootstrap=kafka_bootstrap,
                               outbox_poll_seconds=0.1, simulated_clock=True,
                               simulated_start="2019-08-01T10:00:00+08:00")
    own = token("department", unit)
    async with running_app(create_app(settings)) as client:
        body = await eventually(client, f"/todo/{unit}", lambda b: any(i["kind"] == "submission"
                                                                       for i in b["items"]), own)
        docking = next(i for i in body["items"] if "period=2019-08" in i["how"])
        # due by the end of Monday 5 August: Thursday 1st, Friday 2nd and the 5th
        assert (docking["due"], docking["working_days_left"], docking["item"]) == (
            "2019-08-06T00:00:00+08:00", 3, "A1.3")
        finding = {"finding_id": f"f-{unit}", "unit": unit, "item": "A1.2", "effect": "holds",
                   "occurred_at": "2019-08-01T09:00:00+08:00"}
        assert (await client.post("/findings", json=finding, headers=token("inspector"))).status_code == 202
        body = await eventually(client, f"/todo/{unit}", lambda b: any(i["kind"] == "appeal" for i in b["items"]),
                                own)
        appeal = next(i for i in body["items"] if i["kind"] == "appeal")
        assert appeal["how"] == f"POST /findings/f-{unit}/appeal" and appeal["points"] == "2"
        assert [i["due"] for i in body["items"]] == sorted(i["due"] for i in body["items"])
        assert (await client.get(f"/todo/{unit}", headers=token("department", other))).status_code == 403
        assert (await client.get(f"/todo/{unique_unit()}", headers=token("operator"))).status_code == 404
