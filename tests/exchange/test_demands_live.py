"""#17 part 7 on the real database and broker: a demand for data not in the catalog is raised, assigned with a
deadline, fulfilled by the provider (it becomes the requester's access request) or left to go overdue (the
watcher flags it once); consumers rate the data they used, and the rating shows on the resource and in the
provider's statistics. Each step's event once."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest
from contracts.exchange import DemandChanged
from hubkit.testing import token

from tests.exchange.test_exchange import publish_catalog, unit, until_known
from tests.exchange.test_exchange_flows import OPERATOR, exchange, move_clock  # noqa: F401  (the fixture)
from tests.exchange.test_subscriptions_live import events_where

pytestmark = pytest.mark.integration


async def test_a_demand_becomes_a_subscription_and_its_data_is_rated(
    exchange: httpx.AsyncClient, kafka_bootstrap: str  # noqa: F811
) -> None:
    needer, holder, other = unit(), unit(), unit()
    mine, theirs = token("department", needer), token("department", holder)
    raised = await exchange.post("/demands", headers=mine, json={
        "what": "企业用水用电用气缴费记录（按月）", "why": "公共信用综合评价", "suggested_provider": holder})
    assert raised.status_code == 201, raised.text
    did = raised.json()["id"]
    assert (await exchange.get(f"/demands/{did}", headers=token("department", other))).status_code == 404
    assert (await exchange.post(f"/demands/{did}/assign", headers=mine, json={"provider": holder})).status_code == 403
    assigned = await exchange.post(f"/demands/{did}/assign", headers=OPERATOR, json={"provider": holder, "days": 5})
    assert assigned.json()["status"] == "assigned" and assigned.json()["due"] == "2019-08-13T00:00:00+08:00"
    assert [d["id"] for d in (await exchange.get("/demands", headers=theirs, params={"status": "assigned"})).json()
            ] == [did]

    [code] = await publish_catalog(kafka_bootstrap, holder, [{"name": "企业水电气缴费记录",
                                                             "share_type": "unconditional"}])
    await until_known(exchange, [code])
    done = await exchange.post(f"/demands/{did}/fulfil", headers=theirs, json={"resource_code": code})
    assert done.status_code == 200 and done.json()["status"] == "fulfilled", done.text
    request = (await exchange.get(f"/requests/{done.json()['request_id']}", headers=mine)).json()
    assert (request["resource_code"], request["status"]) == (code, "active")  # unconditional: granted at once

    # A second demand is left unanswered: the watcher flags it once, at its deadline.
    late = (await exchange.post("/demands", headers=mine, json={"what": "历年纳税信用等级", "why": "评价"})).json()
    await exchange.post(f"/demands/{late['id']}/assign", headers=OPERATOR, json={"provider": holder, "days": 1})
    await move_clock(exchange, "2019-08-08T09:00:00+08:00")
    for _ in range(100):
        if (await exchange.get(f"/demands/{late['id']}", headers=mine)).json()["overdue"]:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the watcher did not flag the unanswered demand")

    # The data was used: the requester rates it; the provider cannot rate its own, a stranger nothing it used.
    rating = {"quality": 4, "timeliness": 3, "usefulness": 5, "comment": "缺少2018年以前的数据"}
    assert (await exchange.post(f"/resources/{code}/ratings", headers=mine, json=rating)).status_code == 201
    assert (await exchange.post(f"/resources/{code}/ratings", headers=theirs, json=rating)).status_code == 403
    assert (await exchange.post(f"/resources/{code}/ratings", headers=token("department", other),
                                json=rating)).status_code == 403
    assert (await exchange.post(f"/resources/{code}/ratings", headers=mine,
                                json=rating | {"quality": 6})).status_code == 422
    shown = (await exchange.get(f"/resources/{code}/ratings", headers=theirs)).json()
    assert (shown["ratings"], shown["quality"], shown["recent"][0]["comment"]) == (1, 4.0, "缺少2018年以前的数据")
    stats = {s["provider"]: s for s in (await exchange.get("/stats/providers", headers=OPERATOR)).json()}
    assert stats[holder]["rated"] == {"ratings": 1, "quality": 4.0, "timeliness": 3.0, "usefulness": 5.0}

    events = await events_where(kafka_bootstrap, DemandChanged.TYPE, lambda e: e.data.requester_unit == needer,
                                expect=6)
    assert Counter((e.data.demand_id == did, e.data.step, e.unit) for e in events) == Counter({
        (True, "raised", needer): 1, (True, "assigned", holder): 1, (True, "fulfilled", holder): 1,
        (False, "raised", needer): 1, (False, "assigned", holder): 1, (False, "overdue", holder): 1})
