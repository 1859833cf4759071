"""The same data collected by two units, over the real database and broker (#18 part 4): proposed to the bureau,
confirmed with its authoritative source once, shown on both resources, said as an event; not proposed again."""

from __future__ import annotations

import asyncio

import httpx
import orjson
import pytest
from contracts import decode
from hubkit.testing import read_topic, token

from tests.catalog.reviewing import publish
from tests.catalog.test_resources import client, new_unit, register  # noqa: F401  (the fixture)

pytestmark = pytest.mark.integration
OPERATOR = token("operator")


def people(name: str, last: str) -> dict[str, object]:
    items = ["公民身份号码", "姓名", "性别", "出生日期", last]
    return {"name": name, "share_type": "unconditional", "update_cycle": "daily", "domain": "公安",
            "items": [{"name": f"{i}（{name[:2]}测试）" if i == last else f"{i}{DISTINCT}", "type": "string"}
                      for i in items]}


DISTINCT = "·重复测试"  # items no other test's resources have, so the pair stands out in a shared database


async def test_a_duplicate_is_proposed_confirmed_once_and_shown_on_both(
    client: httpx.AsyncClient, kafka_bootstrap: str,  # noqa: F811
) -> None:
    police, civil = new_unit(), new_unit()
    await register(client, police, "自治区重复测试公安厅")
    await register(client, civil, "自治区重复测试民政厅")
    codes = []
    for unit, meta in ((police, people("户籍人口基本信息", "户籍地址")), (civil, people("人口户籍信息", "婚姻状况"))):
        dept = token("department", unit)
        code = (await client.post("/resources", headers=dept, json={"provider": unit, "metadata": meta})).json()["code"]
        assert (await publish(client, code, dept)).status_code == 200
        codes.append(code)
    first, second = codes
    pair = sorted(codes)

    assert (await client.get("/duplicates/candidates", headers=token("department", police))).status_code == 403
    found = (await client.get("/duplicates/candidates", headers=OPERATOR, params={"limit": 1000})).json()
    mine = [c for c in found if sorted([c["a"]["code"], c["b"]["code"]]) == pair]
    assert len(mine) == 1 and mine[0]["reasons"][0].startswith("items: 4 of 6 the same")

    bad = await client.post("/duplicates", headers=OPERATOR, json={"codes": codes, "decision": "confirm"})
    assert bad.status_code == 422 and "authoritative" in bad.json()["detail"]
    confirmed = await client.post("/duplicates", headers=OPERATOR, json={
        "codes": [second, first], "decision": "confirm", "authoritative": first, "reason": "公安厅为第一采集部门"})
    assert confirmed.status_code == 201 and confirmed.json()["codes"] == pair
    again = await client.post("/duplicates", headers=OPERATOR, json={"codes": codes, "decision": "dismiss"})
    assert again.status_code == 409

    left = (await client.get("/duplicates/candidates", headers=OPERATOR, params={"limit": 1000})).json()
    assert not [c for c in left if sorted([c["a"]["code"], c["b"]["code"]]) == pair]
    seen = (await client.get(f"/resources/{second}/feeds", headers=token("department", civil))).json()
    assert [(s["code"], s["authoritative"]) for s in seen["same_data"]] == [(first, True)]
    own = (await client.get(f"/resources/{first}/feeds", headers=token("department", police))).json()
    assert [(s["code"], s["authoritative"]) for s in own["same_data"]] == [(second, False)]
    listed = (await client.get("/duplicates", headers=token("department", civil), params={"code": second})).json()
    assert [(d["decision"], d["authoritative"]) for d in listed] == [("confirmed", first)]

    said = []
    for _ in range(50):
        said = [decode(v) for v in await read_topic(kafka_bootstrap, "hub.catalog.duplicate-decided.v1",
                                                    expect=100_000, timeout=0.3)
                if orjson.loads(v).get("unit") == police]
        if said:
            break
        await asyncio.sleep(0.2)
    assert len(said) == 1 and said[0].data.authoritative == first  # type: ignore[attr-defined]
