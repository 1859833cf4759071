"""Open data without a token (#18 part 6): only published resources that are open and shared without condition
are listed, as JSON, DCAT-AP JSON-LD and CSV, and nothing but descriptive metadata leaves: no condition, no
legal basis, no mount (internal systems and URLs), no draft."""

from __future__ import annotations

import csv
import io

import httpx
import orjson
import pytest
from hubkit.testing import token

from tests.catalog.reviewing import publish
from tests.catalog.test_resources import client, metadata, new_unit, register  # noqa: F401  (the fixture)

pytestmark = pytest.mark.integration
SECRETS = ("10.7.7.7", "t_internal", "仅限执法", "内部依据", "须签订协议", "内部前置库")


async def test_only_open_unconditional_resources_are_public_and_only_their_description(
    client: httpx.AsyncClient,  # noqa: F811
) -> None:
    unit = new_unit()
    await register(client, unit, "自治区交通运输厅")
    dept = token("department", unit)
    kinds = {
        "open": metadata("公路里程统计", open_type="open", format="xlsx", summary="全区公路里程"),
        "open_mounted": metadata("客运站名录", open_type="open"),
        "conditionally_open": metadata("货车通行记录", open_type="conditional", open_condition="须签订协议"),
        "not_open": metadata("超限检测记录", open_type="not_open"),
        "open_but_conditional_share": metadata("执法案件", open_type="open", share_type="conditional",
                                               share_condition="仅限执法"),
        "open_but_not_shared": metadata("内部人事", open_type="open", share_type="not_shared",
                                        share_basis="内部依据"),
        "draft": metadata("草稿资源", open_type="open"),
    }
    codes = {}
    for kind, meta in kinds.items():
        created = await client.post("/resources", headers=dept, json={"provider": unit, "metadata": meta})
        assert created.status_code == 201, created.text
        codes[kind] = created.json()["code"]
        if kind != "draft":
            assert (await publish(client, codes[kind], dept)).status_code == 200
    mounted = await client.put(f"/resources/{codes['open_mounted']}/mount", headers=dept, json={
        "kind": "table", "system": "内部前置库", "table": "t_internal"})
    assert mounted.status_code == 200
    await client.put(f"/resources/{codes['open']}/mount", headers=dept,
                     json={"kind": "api", "url": "http://10.7.7.7/roads", "method": "GET"})

    listed = await client.get("/open/resources", params={"q": "", "limit": 5000})  # no token at all
    assert listed.status_code == 200
    mine = [r for r in listed.json() if r["provider"] == unit]
    assert sorted(r["code"] for r in mine) == sorted([codes["open"], codes["open_mounted"]])
    assert set(mine[0]) == {"code", "name", "summary", "provider", "provider_name", "domain", "classification",
                            "format", "update_cycle", "items", "publish_date", "published_at", "last_update_at"}
    assert {r["provider_name"] for r in mine} == {"自治区交通运输厅"}

    feed = await client.get("/open/catalog.jsonld")
    assert feed.headers["content-type"] == "application/ld+json"
    doc = orjson.loads(feed.content)
    assert doc["@type"] == "dcat:Catalog" and doc["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"
    datasets = {d["dct:identifier"]: d for d in doc["dcat:dataset"]}
    road = datasets[codes["open"]]
    assert road["dct:accrualPeriodicity"]["@id"].endswith("/frequency/DAILY")
    assert road["dct:publisher"]["foaf:name"] == "自治区交通运输厅" and road["dcat:keyword"] == ["市场监管"]
    assert codes["conditionally_open"] not in datasets and codes["draft"] not in datasets

    exported = await client.get("/open/catalog.csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert sorted(r["code"] for r in rows if r["provider"] == unit) == sorted([codes["open"],
                                                                              codes["open_mounted"]])
    for body in (listed.text, feed.text, exported.text):
        assert not [s for s in SECRETS if s in body]
        assert not [c for k, c in codes.items() if k not in ("open", "open_mounted") and c in body]


async def test_a_secret_resource_is_shown_to_its_unit_and_the_bureau_only(
    client: httpx.AsyncClient,  # noqa: F811
) -> None:
    unit, other = new_unit(), new_unit()
    await register(client, unit, "自治区国家安全厅")
    mine, theirs, bureau = token("department", unit), token("department", other), token("operator")
    shared = await client.post("/resources", headers=mine, json={"provider": unit, "metadata": metadata(
        "涉密名录", secret=True)})
    assert shared.status_code == 422 and "secret resource" in shared.json()["detail"]
    meta = metadata("涉密名录", secret=True, share_type="not_shared", share_basis="《中华人民共和国保守国家秘密法》")
    code = (await client.post("/resources", headers=mine, json={"provider": unit, "metadata": meta})).json()["code"]
    assert (await publish(client, code, mine)).status_code == 200
    for who, sees in ((mine, True), (bureau, True), (theirs, False)):
        listed = [r["code"] for r in (await client.get("/resources", headers=who, params={"unit": unit})).json()]
        assert (code in listed) is sees
        assert (await client.get(f"/resources/{code}", headers=who)).status_code == (200 if sees else 404)
        assert (await client.get(f"/resources/{code}/versions", headers=who)).status_code == (200 if sees else 404)
        as_of = await client.get("/resources", headers=who, params={"unit": unit, "as_of": "2030-01-01T00:00:00Z"})
        assert (code in [r["code"] for r in as_of.json()]) is sees
    assert code not in (await client.get("/open/resources")).text
