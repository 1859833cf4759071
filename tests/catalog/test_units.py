"""The unit directory over the real database and broker: registrations, rules, events through the outbox."""

import asyncio
import csv
import uuid
from pathlib import Path

import orjson
import pytest
from catalog.bootstrap import create_app
from catalog.cli import REFERENCE, read_units
from catalog.settings import CatalogSettings
from contracts import decode
from contracts.values import make_uscc, validate_uscc
from hubkit.testing import read_topic, running_app, token

TOPIC = "hub.registry.unit-registered.v1"


def test_reference_directory_is_valid_and_complete() -> None:
    with REFERENCE.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    by_uscc = {r["uscc"]: r for r in rows}
    assert len(by_uscc) == len(rows)
    for r in rows:
        assert validate_uscc(r["uscc"]) == r["uscc"]
        if r["kind"] == "county":
            parent = by_uscc[r["parent_unit"]]
            assert parent["kind"] == "city" and parent["division_code"][:4] == r["division_code"][:4]
    cities = {r["division_code"] for r in rows if r["kind"] == "city"}
    assert cities == {f"45{n:02d}00" for n in range(1, 15)}
    assert sum(r["kind"] == "department" for r in rows) >= 40
    order = [body["kind"] for _, body in read_units(REFERENCE)]
    assert order.index("county") > max(i for i, k in enumerate(order) if k != "county")


@pytest.mark.integration
async def test_register_units_with_rules_and_one_event_each(
    database_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    city = make_uscc("450300", uuid.uuid4().hex[:8].upper())
    county = make_uscc("450321", uuid.uuid4().hex[:8].upper())
    settings = CatalogSettings(database_url=database_url, kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.1)
    operator = token("operator")
    city_body = {"uscc": city, "name": "桂林市人民政府", "kind": "city", "division_code": "450300",
                 "occurred_at": "2019-07-01T09:00:00+08:00"}
    county_body = {"uscc": county, "name": "阳朔县人民政府", "kind": "county", "division_code": "450321",
                   "parent_unit": city, "occurred_at": "2019-07-01T09:00:00+08:00"}
    async with running_app(create_app(settings)) as client:
        assert (await client.put(f"/units/{city}", json=city_body)).status_code == 401
        r = await client.put(f"/units/{city}", json=city_body, headers=token("department", city))
        assert r.status_code == 403

        orphan = await client.put(f"/units/{county}", json=county_body, headers=operator)
        assert orphan.status_code == 422 and "not a registered unit" in orphan.json()["detail"]
        assert (await client.put(f"/units/{city}", json=city_body, headers=operator)).json()["changed"] is True
        assert (await client.put(f"/units/{city}", json=city_body, headers=operator)).json()["changed"] is False
        assert (await client.put(f"/units/{county}", json=county_body, headers=operator)).status_code == 200

        bad = await client.put("/units/11450000MB1519000K", headers=operator,
                               json={**city_body, "uscc": "11450000MB1519000K"})
        assert bad.status_code == 422 and "uscc" in bad.json()["detail"] and "'C'" in bad.json()["detail"]
        wrong_city = await client.put(f"/units/{city}", headers=operator, json={**city_body, "division_code": "450321"})
        assert wrong_city.status_code == 422 and "not a city code" in wrong_city.json()["detail"]
        no_parent = await client.put(f"/units/{county}", headers=operator, json={**county_body, "parent_unit": None})
        assert no_parent.status_code == 422 and "parent_unit" in no_parent.json()["detail"]

        counties = (await client.get(f"/units?parent={city}", headers=token("department", county))).json()
        assert [u["uscc"] for u in counties] == [county]
        assert (await client.get(f"/units/{make_uscc('450000', 'MA999999')}", headers=operator)).status_code == 404

        found: list[bytes] = []
        for _ in range(100):
            found = [v for v in await read_topic(kafka_bootstrap, TOPIC, expect=10_000, timeout=0.5)
                     if orjson.loads(v)["unit"] in (city, county)]
            if len(found) >= 2:
                break
            await asyncio.sleep(0.1)
    events = [decode(v) for v in found]
    assert sorted(e.unit for e in events) == sorted([city, county])  # exactly one each: no event for no change
    county_event = next(e for e in events if e.unit == county)
    assert county_event.data.parent_unit == city  # type: ignore[attr-defined]
    assert county_event.occurred_at.isoformat() == "2019-07-01T09:00:00+08:00"


@pytest.mark.integration
async def test_the_bureau_exempts_a_unit_from_a_day_with_its_document(database_url: str, kafka_bootstrap: str) -> None:
    """标注红色的单位不列入检查和考核: an exemption is a change of the registration (an event), with the day and
    the document together; a county is never exempted (its city answers for it)."""
    dept = make_uscc("450000", uuid.uuid4().hex[:8].upper())
    settings = CatalogSettings(database_url=database_url, kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.1)
    operator = token("operator")
    body = {"uscc": dept, "name": "自治区测试豁免厅", "kind": "department", "division_code": "450000"}
    async with running_app(create_app(settings)) as client:
        assert (await client.put(f"/units/{dept}", json=body, headers=operator)).json()["changed"] is True
        half = await client.put(f"/units/{dept}", json={**body, "exempt_from": "2019-08-01"}, headers=operator)
        assert half.status_code == 422 and "exempt_basis" in half.json()["detail"]
        exempted = {**body, "exempt_from": "2019-08-01", "exempt_basis": "桂数函〔2019〕258号附件1标注红色"}
        r = await client.put(f"/units/{dept}", json=exempted, headers=operator)
        assert r.status_code == 200 and r.json()["changed"] is True
        shown = (await client.get(f"/units/{dept}", headers=operator)).json()
        assert (shown["exempt_from"], shown["exempt_basis"]) == ("2019-08-01", "桂数函〔2019〕258号附件1标注红色")
        assert (await client.put(f"/units/{dept}", json=exempted, headers=operator)).json()["changed"] is False
        found: list[bytes] = []
        for _ in range(100):
            found = [v for v in await read_topic(kafka_bootstrap, TOPIC, expect=10_000, timeout=0.5)
                     if orjson.loads(v)["unit"] == dept]
            if len(found) >= 2:
                break
            await asyncio.sleep(0.1)
    events = sorted((decode(v) for v in found), key=lambda e: e.occurred_at)
    assert len(events) == 2 and events[0].data.exempt_from is None  # type: ignore[attr-defined]
    assert str(events[1].data.exempt_from) == "2019-08-01"  # type: ignore[attr-defined]
