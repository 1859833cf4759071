"""The resource catalog over the real database and broker: codes, publication, versions and as-of reads,
mounts, updates, freshness, requirement progress, CSV import, and each write's event exactly once."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest
from catalog.bootstrap import create_app
from catalog.settings import CatalogSettings
from contracts import decode
from contracts.values import build_resource_code, make_uscc
from hubkit import outbox
from hubkit.kafka import ensure_topics
from hubkit.runtime.ports import free_port
from hubkit.testing import own_broker, read_topic, running_app, token

from tests.catalog.reviewing import approve, publish

pytestmark = pytest.mark.integration
OPERATOR = token("operator")
T0 = "2019-08-01T09:00:00+08:00"
EVENT_TOPICS = ["hub.catalog.resource-published.v1", "hub.catalog.resource-metadata-changed.v1",
                "hub.catalog.resource-mounted.v1", "hub.catalog.resource-unmounted.v1",
                "hub.catalog.resource-updated.v1", "hub.catalog.requirement-assigned.v1"]


def new_unit(division: str = "450000") -> str:
    return make_uscc(division, uuid.uuid4().hex[:8].upper())


def metadata(name: str, **extra: object) -> dict[str, object]:
    return {"name": name, "share_type": "unconditional", "update_cycle": "daily", "domain": "市场监管",
            "summary": f"{name}的摘要", "items": [{"name": "统一社会信用代码", "type": "string", "length": 18}],
            **extra}


async def register(client: httpx.AsyncClient, uscc: str, name: str, division: str = "450000") -> None:
    body = {"uscc": uscc, "name": name, "kind": "department", "division_code": division, "occurred_at": T0}
    assert (await client.put(f"/units/{uscc}", json=body, headers=OPERATOR)).status_code == 200


async def events_of(bootstrap: str, units: set[str], expect: int) -> list[tuple[str, dict[str, object]]]:
    """(type, payload) of every catalog event of these units, waiting until `expect` arrived."""
    found: list[tuple[str, dict[str, object]]] = []
    for _ in range(100):
        found = []
        for topic in EVENT_TOPICS:
            for value in await read_topic(bootstrap, topic, expect=100_000, timeout=0.3):
                try:  # other tests put malformed messages on the shared broker's topics on purpose
                    raw = orjson.loads(value)
                except orjson.JSONDecodeError:
                    continue
                if isinstance(raw, dict) and raw.get("unit") in units:
                    env = decode(value)
                    found.append((env.type, env.data.model_dump(mode="json") | {"_id": str(env.id)}))
        if len(found) >= expect:
            break
        await asyncio.sleep(0.2)
    return found


@pytest.fixture
async def client(database_url: str, kafka_bootstrap: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = CatalogSettings(database_url=database_url, kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.1,
                               simulated_clock=True, simulated_start=T0)
    async with running_app(create_app(settings)) as c:
        yield c


async def test_catalogue_publish_version_mount_update_each_once(client: httpx.AsyncClient,
                                                                kafka_bootstrap: str) -> None:
    unit, other = new_unit(), new_unit()
    await register(client, unit, "自治区市场监督管理局")
    await register(client, other, "自治区公安厅")
    dept = token("department", unit)

    first = await client.post("/resources", headers=dept, json={"provider": unit, "metadata": metadata("企业基本信息")})
    second = await client.post("/resources", headers=dept, json={"provider": unit, "metadata": metadata("企业年报")})
    assert first.status_code == second.status_code == 201
    code, code2 = first.json()["code"], second.json()["code"]
    assert code == build_resource_code("450000", unit, 1) and code2 == build_resource_code("450000", unit, 2)
    assert first.json()["status"] == "draft"

    # Another department can neither touch it nor see the draft.
    assert (await client.post(f"/resources/{code}/submit", headers=token("department", other))).status_code == 403
    assert (await client.get(f"/resources/{code}", headers=token("department", other))).status_code == 404
    # A department may not pick the instant of its writes.
    late = await client.post(f"/resources/{code}/updates", headers=dept, json={"occurred_at": T0})
    assert late.status_code in (403, 409)

    refused = await client.post("/resources", headers=dept, json={
        "provider": unit, "metadata": metadata("户籍信息", share_type="not_shared")})
    assert refused.status_code == 422 and "share_basis" in refused.json()["detail"]
    foreign = await client.post("/resources", headers=dept, json={
        "provider": unit, "resource_code": build_resource_code("450000", other, 7), "metadata": metadata("外来")})
    assert foreign.status_code == 422 and "not cut from the provider's code" in foreign.json()["detail"]
    imported = await client.post("/resources", headers=dept, json={
        "provider": unit, "resource_code": build_resource_code("450000", unit, 41), "metadata": metadata("导入")})
    assert imported.status_code == 201
    third = await client.post("/resources", headers=dept, json={"provider": unit, "metadata": metadata("第三")})
    assert third.json()["code"] == build_resource_code("450000", unit, 42)  # next after the highest serial

    # Mounting a draft is refused; publish fixes the name.
    assert (await client.put(f"/resources/{code}/mount", headers=dept,
                             json={"kind": "table", "system": "市场主体库", "table": "t_ent"})).status_code == 409
    pub = await publish(client, code, dept)
    assert pub.status_code == 200 and pub.json()["metadata"]["publish_date"] == "2019-08-01"
    assert (await client.post(f"/resources/{code}/submit", headers=dept)).status_code == 409
    renamed = await client.put(f"/resources/{code}/metadata", headers=dept, json={"metadata": metadata("企业信息")})
    assert renamed.status_code == 409 and "keeps its name" in renamed.json()["detail"]

    await client.put("/admin/clock", headers=OPERATOR, json={"now": "2019-08-05T10:00:00+08:00"})
    submitted = await client.put(f"/resources/{code}/metadata", headers=dept, json={
        "metadata": metadata("企业基本信息", update_cycle="weekly", publish_date="2019-08-01")})
    assert submitted.status_code == 200 and submitted.json()["version"] == 1  # the change awaits the bureau
    changed = await approve(client, code)
    assert changed.status_code == 200 and changed.json()["version"] == 2
    same = await client.put(f"/resources/{code}/metadata", headers=dept, json={
        "metadata": metadata("企业基本信息", update_cycle="weekly", publish_date="2019-08-01")})
    assert same.json()["version"] == 2  # nothing changed: no version, no event

    mount = {"kind": "api", "url": "http://10.1.2.3/ent", "method": "GET"}
    assert (await client.put(f"/resources/{code}/mount", headers=dept, json=mount)).status_code == 200
    assert (await client.put(f"/resources/{code}/mount", headers=dept, json=mount)).status_code == 200  # no-op
    await client.put("/admin/clock", headers=OPERATOR, json={"now": "2019-08-09T10:00:00+08:00"})
    upd = await client.post(f"/resources/{code}/updates", headers=dept, json={"records": 1200})
    assert upd.status_code == 201 and upd.json()["last_update_at"].startswith("2019-08-09T02:00:00")
    assert upd.json()["stale_at"].startswith("2019-08-16T02:00:00")

    # As of 2019-08-02 the catalog shows version 1, published and not yet mounted.
    then = await client.get(f"/resources/{code}", headers=dept, params={"as_of": "2019-08-02T00:00:00+08:00"})
    assert then.json()["version"] == 1 and then.json()["metadata"]["update_cycle"] == "daily"
    assert then.json()["mount_kind"] is None
    later = await client.get(f"/resources/{code}", headers=dept, params={"as_of": "2019-08-10T00:00:00+08:00"})
    assert later.json()["mount_kind"] == "api"  # as of after the mount, read from the history's detail
    assert (await client.get(f"/resources/{code}", headers=dept,
                             params={"as_of": "2019-07-31T00:00:00+08:00"})).status_code == 404
    now = (await client.get(f"/resources/{code}", headers=dept)).json()
    assert now["version"] == 2 and now["mount_kind"] == "api" and now["stale"] is False
    history = (await client.get(f"/resources/{code}/versions", headers=dept)).json()
    assert [v["changed"] for v in history["versions"]] == [[], ["update_cycle"]]
    assert [h["action"] for h in history["history"]] == ["published", "mounted", "updated"]

    # Search: the published catalog only, by text, domain, share type and as of an instant.
    hits = (await client.get("/resources", headers=token("department", other), params={"unit": unit})).json()
    assert [h["code"] for h in hits] == [code]
    assert [h["code"] for h in (await client.get("/resources", headers=dept, params={"unit": unit})).json()] == [
        code, code2, imported.json()["code"], third.json()["code"]]
    assert len((await client.get("/resources", headers=OPERATOR, params={"q": "基本信息", "unit": unit})).json()) == 1
    assert (await client.get("/resources", headers=OPERATOR, params={"unit": unit, "share_type": "conditional"})
            ).json() == []
    # The filters read the stored metadata as JSON (it once held a JSON string, and every filter found nothing).
    assert [r["code"] for r in (await client.get("/resources", headers=OPERATOR, params={
        "unit": unit, "share_type": "unconditional", "update_cycle": "weekly", "domain": "市场监管"})).json()] == [code]
    old = (await client.get("/resources", headers=OPERATOR,
                            params={"unit": unit, "as_of": "2019-08-02T00:00:00+08:00"})).json()
    assert [(r["code"], r["metadata"]["update_cycle"]) for r in old] == [(code, "daily")]

    # Freshness 2019-08-17: the weekly update of 08-09 is stale; the department sees its own only.
    await client.put("/admin/clock", headers=OPERATOR, json={"now": "2019-08-17T10:00:00+08:00"})
    fresh = (await client.get("/freshness", headers=dept)).json()
    assert [(f["code"], f["stale"]) for f in fresh] == [(code, True)]
    assert fresh[0]["seconds_until_stale"] == -86400
    assert (await client.get("/freshness", headers=token("department", other))).json() == []

    unmounted = await client.post(f"/resources/{code}/unmount", headers=dept, json={"reason": "系统迁移"})
    assert unmounted.status_code == 200 and unmounted.json()["mount_kind"] is None
    assert (await client.post(f"/resources/{code}/updates", headers=dept, json={})).status_code == 409

    events = await events_of(kafka_bootstrap, {unit, other}, expect=5)
    assert Counter(t for t, _ in events) == {
        "catalog.resource-published": 1, "catalog.resource-metadata-changed": 1, "catalog.resource-mounted": 1,
        "catalog.resource-updated": 1, "catalog.resource-unmounted": 1}
    published = next(p for t, p in events if t == "catalog.resource-published")
    assert published["resource_code"] == code and published["provider_name"] == "自治区市场监督管理局"
    assert next(p for t, p in events if t == "catalog.resource-metadata-changed")["update_cycle"] == "weekly"


async def test_requirement_batches_and_progress(client: httpx.AsyncClient, kafka_bootstrap: str) -> None:
    unit, city = new_unit(), new_unit("450100")
    await register(client, unit, "自治区教育厅")
    body = {"uscc": city, "name": "南宁市人民政府", "kind": "city", "division_code": "450100", "occurred_at": T0}
    assert (await client.put(f"/units/{city}", json=body, headers=OPERATOR)).status_code == 200
    dept = token("department", unit)
    codes = [build_resource_code("450000", unit, n) for n in (1, 2, 3)]
    batch = {"batch_kind": "first_batch_catalog", "title": "第一批", "deadline": "2019-08-30",
             "units": [{"unit": unit, "resource_codes": codes}, {"unit": city, "resource_codes": [
                 build_resource_code("450100", city, 1)]}]}
    assert (await client.put("/requirements/B1", headers=dept, json=batch)).status_code == 403
    wrong = {**batch, "units": [{"unit": city, "resource_codes": codes[:1]}]}
    bad = await client.put("/requirements/B1", headers=OPERATOR, json=wrong)
    assert bad.status_code == 422 and "is not a code of unit" in bad.json()["detail"]
    ok = await client.put("/requirements/B1", headers=OPERATOR, json=batch)
    assert ok.status_code == 200 and sorted(ok.json()["changed"]) == sorted([unit, city])
    assert (await client.put("/requirements/B1", headers=OPERATOR, json=batch)).json()["changed"] == []

    for n in (1, 2):
        r = await client.post("/resources", headers=dept, json={"provider": unit, "metadata": metadata(f"资源{n}")})
        assert r.json()["code"] == codes[n - 1]
        await publish(client, codes[n - 1], dept)
    await client.put(f"/resources/{codes[0]}/mount", headers=dept,
                     json={"kind": "file", "url": "https://files.example/a.xlsx", "file_name": "a.xlsx"})

    rows = (await client.get("/requirements/progress", headers=dept)).json()
    assert len(rows) == 1
    row = rows[0]
    assert (row["required"], row["published"], row["mounted"], row["missing"]) == (3, 2, 1, codes[1:])
    # 2019-08-01 (Thu) to 2019-08-30 (Fri): 22 working days, today included.
    assert row["working_days_left"] == 22 and row["overdue"] is False
    everyone = (await client.get("/requirements/progress", headers=OPERATOR, params={"batch_id": "B1"})).json()
    assert {r["unit"] for r in everyone} >= {unit, city}

    events = await events_of(kafka_bootstrap, {unit, city}, expect=5)
    assigned = [p for t, p in events if t == "catalog.requirement-assigned"]
    assert sorted(len(p["resource_codes"]) for p in assigned) == [1, 3]  # once per unit, none for the no-op


async def test_bulk_csv_import_reports_each_bad_row(client: httpx.AsyncClient, tmp_path: Path) -> None:
    unit = new_unit()
    await register(client, unit, "自治区交通运输厅")
    other = new_unit()
    csv_text = (
        "provider,resource_code,name,share_type,share_condition,share_basis,update_cycle,items,publish\n"
        f"{unit},,道路运输经营许可,unconditional,,,monthly,许可证号:string:20;业户名称:string,true\n"
        f"{unit},,\"多行\n摘要资源\",conditional,,,daily,,false\n"
        f"{unit},{build_resource_code('450000', other, 5)},外来代码,unconditional,,,daily,,false\n"
        f"{unit},,车辆信息,not_shared,,《保密法》,hourly,,false\n"
        f"{unit},,客运班线,not_shared,,《保密法》,weekly,,yes\n"
    )
    r = await client.post("/resources/import", headers={**OPERATOR, "Content-Type": "text/csv"},
                          content=csv_text.encode())
    report = r.json()
    assert r.status_code == 200 and len(report["imported"]) == 2 and report["published"] == 2
    assert [(e["row"], e["line"]) for e in report["errors"]] == [(2, 3), (3, 5), (4, 6)]
    assert "share_condition" in report["errors"][0]["reason"]
    assert "not cut from the provider's code" in report["errors"][1]["reason"]
    assert "update_cycle" in report["errors"][2]["reason"]
    bad_header = await client.post("/resources/import", headers={**OPERATOR, "Content-Type": "text/csv"},
                                   content=b"provider,name\n")
    assert bad_header.status_code == 422 and "missing column(s) share_type, update_cycle" in bad_header.json()[
        "detail"]
    foreign = await client.post("/resources/import", headers={**token("department", other), "Content-Type": "text/csv"},
                                content=csv_text.encode())
    assert foreign.json()["imported"] == []
    assert [e["row"] for e in foreign.json()["errors"] if "cannot act on unit" in e["reason"]] == [1, 3, 5]


async def test_writes_while_the_broker_is_down_reach_it_once_it_returns(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    settings = CatalogSettings(database_url=database_url, kafka_bootstrap=f"127.0.0.1:{port}",
                               outbox_poll_seconds=0.2, simulated_clock=True, simulated_start=T0)
    broker = own_broker(tmp_path, port)
    unit = new_unit()
    try:
        async with running_app(create_app(settings)) as client:
            await register(client, unit, "自治区水利厅")
            dept = token("department", unit)
            code = (await client.post("/resources", headers=dept,
                                      json={"provider": unit, "metadata": metadata("水资源")})).json()["code"]
            assert (await publish(client, code, dept)).status_code == 200
            assert (await client.put(f"/resources/{code}/mount", headers=dept,
                                     json={"kind": "api", "url": "http://10.1.2.3/water", "method": "GET"})
                    ).status_code == 200
            pool = client._transport.app.state.host.pool  # type: ignore[attr-defined]
            # unit-registered, review submitted and decided, published, mounted
            assert await outbox.pending(pool, "catalog") == 5

            broker.start()
            await ensure_topics(broker.bootstrap, partitions=1)
            for _ in range(200):
                if await outbox.pending(pool, "catalog") == 0:
                    break
                await asyncio.sleep(0.2)
            assert await outbox.pending(pool, "catalog") == 0
            # A write after the broker returned flows as usual.
            await client.post(f"/resources/{code}/updates", headers=dept, json={"records": 3})
            events = await events_of(broker.bootstrap, {unit}, expect=3)
        assert Counter(t for t, _ in events) == {"catalog.resource-published": 1, "catalog.resource-mounted": 1,
                                                 "catalog.resource-updated": 1}
        assert len({p["_id"] for _, p in events}) == 3
    finally:
        broker.stop()


async def test_drafts_and_mount_access_are_their_providers(client: httpx.AsyncClient) -> None:
    """The probe: another unit read a draft's versions, and every token saw where mounted data sits."""
    owner, other = new_unit(), new_unit()
    await register(client, owner, "自治区隐私测试厅")
    mine, theirs = token("department", owner), token("department", other)
    code = (await client.post("/resources", headers=mine,
                              json={"provider": owner, "metadata": metadata("草稿资源")})).json()["code"]
    assert (await client.get(f"/resources/{code}/versions", headers=theirs)).status_code == 404
    assert (await client.get(f"/resources/{code}/versions", headers=mine)).status_code == 200
    assert (await publish(client, code, mine)).status_code == 200
    assert (await client.put(f"/resources/{code}/mount", headers=mine,
                             json={"kind": "table", "system": "内部库", "table": "t_secret"})).status_code == 200
    seen = {who: (await client.get(f"/resources/{code}", headers=h)).json()
            for who, h in (("owner", mine), ("other", theirs), ("operator", token("operator")),
                           ("inspector", token("inspector")))}
    assert seen["owner"]["mount_access"] and seen["operator"]["mount_access"]
    assert seen["other"]["mount_kind"] == "table" and seen["other"]["mount_access"] is None
    assert seen["inspector"]["mount_access"] is None
    listed = (await client.get("/resources", params={"unit": owner}, headers=theirs)).json()
    assert listed and all(r["mount_access"] is None for r in listed)
    assert "t_secret" not in str(listed)
