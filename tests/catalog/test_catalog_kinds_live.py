"""Base, theme and department catalogs and the code lists over the real database (#18 parts 2 and 3): codes by
kind and item, what feeds what in both directions as each viewer may see it, search by kind, the code lists
served; bad input 422 and nothing stored."""

from __future__ import annotations

import httpx
import pytest
from hubkit.testing import token

from tests.catalog.reviewing import publish
from tests.catalog.test_resources import client, metadata, new_unit, register  # noqa: F401  (the fixture)

pytestmark = pytest.mark.integration
OPERATOR = token("operator")


async def test_a_base_resource_gathers_department_resources_and_both_show_it(
    client: httpx.AsyncClient,  # noqa: F811
) -> None:
    unit, other = new_unit(), new_unit()
    await register(client, unit, "自治区公安厅")
    await register(client, other, "自治区人力资源和社会保障厅")
    dept, outsider = token("department", unit), token("department", other)
    source = (await client.post("/resources", headers=dept, json={
        "provider": unit, "metadata": metadata("户籍人口信息", domain="公安")})).json()["code"]
    assert (await publish(client, source, dept)).status_code == 200
    made = await client.post("/resources", headers=dept, json={
        "provider": unit, "catalog": "base", "item": "01",
        "metadata": metadata("人口综合库", domain="综合政务", related_codes=[source])})
    assert made.status_code == 201, made.text
    base = made.json()["code"]
    assert base.startswith("101045") and base.endswith("000001") and made.json()["catalog"] == "base"

    # A draft gathering is its unit's: another department does not see it gather anything yet.
    assert (await client.get(f"/resources/{source}/feeds", headers=outsider)).json()["gathered_by"] == []
    assert (await publish(client, base, dept)).status_code == 200
    fed = (await client.get(f"/resources/{source}/feeds", headers=outsider)).json()
    assert [(f["code"], f["catalog"], f["name"]) for f in fed["gathered_by"]] == [(base, "base", "人口综合库")]
    gathers = (await client.get(f"/resources/{base}/feeds", headers=outsider)).json()
    assert gathers["catalog"] == "base" and [f["code"] for f in gathers["gathers"]] == [source]

    kinds = {r["code"]: r["catalog"] for r in (await client.get(
        "/resources", headers=OPERATOR, params={"unit": unit, "catalog": "base"})).json()}
    assert kinds == {base: "base"}
    departments = (await client.get("/resources", headers=OPERATOR,
                                    params={"unit": unit, "catalog": "department"})).json()
    assert [r["code"] for r in departments] == [source]


async def test_the_code_lists_are_served_and_writes_against_them_are_refused(
    client: httpx.AsyncClient,  # noqa: F811
) -> None:
    unit = new_unit()
    await register(client, unit, "自治区发展和改革委员会")
    dept = token("department", unit)
    lists = (await client.get("/code-lists", headers=dept)).json()
    assert lists["version"] == 1 and lists["kinds"]["theme"]["items"]["01"] == "营商环境"
    assert "综合政务" in lists["domains"]
    assert (await client.get("/code-lists", headers=dept, params={"version": 7})).status_code == 404

    for body, words in [
        ({"catalog": "theme", "item": "99", "metadata": metadata("主题A")}, "'99' is not an item"),
        ({"catalog": "theme", "metadata": metadata("主题B")}, "names its item"),
        ({"metadata": metadata("领域错", domain="火星开发")}, "domain: '火星开发' is not a domain"),
        ({"catalog": "department", "resource_code": f"207045450000{unit[8:17]}000003", "metadata": metadata("C")},
         "is a theme resource"),
        ({"catalog": "theme", "item": "07", "metadata": metadata("D", related_codes=[
            f"330045450000{unit[8:17]}000042"])}, "is not in the catalog"),
    ]:
        refused = await client.post("/resources", headers=dept, json={"provider": unit, **body})
        assert refused.status_code == 422 and words in refused.json()["detail"], refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert (await client.get("/resources", headers=dept, params={"unit": unit})).json() == []
