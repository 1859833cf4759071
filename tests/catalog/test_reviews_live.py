"""The bureau's review over the real database and broker (#18 part 1): submitted, returned with reasons per
field, fixed and resubmitted, approved with a public notice and published by the clock when it ends, a change to
a published resource reviewed, an undecided submission overdue once; who may see and do what; bad input 4xx."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import httpx
import orjson
import pytest
from contracts import decode
from hubkit.testing import read_topic, token

from tests.catalog.test_resources import client, metadata, new_unit, register  # noqa: F401  (the fixture)

pytestmark = pytest.mark.integration
OPERATOR = token("operator")
TOPICS = ["hub.catalog.review-submitted.v1", "hub.catalog.review-decided.v1", "hub.catalog.review-overdue.v1",
          "hub.catalog.resource-published.v1", "hub.catalog.resource-metadata-changed.v1"]


async def said(bootstrap: str, unit: str, expect: int) -> list[tuple[str, datetime, dict[str, Any]]]:
    """(type, occurred_at, payload) of this unit's review and publication events, once `expect` arrived."""
    found: list[tuple[str, datetime, dict[str, Any]]] = []
    for _ in range(100):
        found = []
        for topic in TOPICS:
            for value in await read_topic(bootstrap, topic, expect=100_000, timeout=0.3):
                try:
                    raw = orjson.loads(value)
                except orjson.JSONDecodeError:
                    continue
                if isinstance(raw, dict) and raw.get("unit") == unit:
                    env = decode(value)
                    found.append((env.type, env.occurred_at, env.data.model_dump(mode="json")))
        if len(found) >= expect:
            break
        await asyncio.sleep(0.2)
    return sorted(found, key=lambda e: e[1])


async def status_of(client: httpx.AsyncClient, code: str, wanted: str) -> str:  # noqa: F811
    status = ""
    for _ in range(100):  # the clock watcher runs every half second
        status = (await client.get(f"/resources/{code}", headers=OPERATOR)).json()["status"]
        if status == wanted:
            break
        await asyncio.sleep(0.1)
    return status


async def test_returned_fixed_resubmitted_noticed_and_published_by_the_clock(
    client: httpx.AsyncClient, kafka_bootstrap: str,  # noqa: F811
) -> None:
    unit, other = new_unit(), new_unit()
    await register(client, unit, "自治区民政厅")
    dept, outsider = token("department", unit), token("department", other)
    code = (await client.post("/resources", headers=dept, json={
        "provider": unit, "metadata": metadata("社会组织登记信息")})).json()["code"]

    submitted = await client.post(f"/resources/{code}/submit", headers=dept)
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    review = submitted.json()["review"]
    assert review["due"].startswith("2019-08-08T16:00:00")  # 24:00 Shanghai of the 5th working day
    queue = (await client.get("/reviews", headers=OPERATOR, params={"state": "open", "unit": unit})).json()
    assert [(e["resource_code"], e["provider"], e["name"]) for e in queue] == [(code, unit, "社会组织登记信息")]
    assert (await client.get("/reviews", headers=outsider, params={"unit": unit})).status_code == 403
    assert all(e["resource_code"] != code for e in (await client.get("/reviews", headers=outsider)).json())
    assert (await client.get(f"/resources/{code}/reviews", headers=outsider)).status_code == 404
    assert (await client.get(f"/resources/{code}", headers=outsider)).status_code == 404  # under review: not public

    # Bad input changes nothing: a unit reviewing, an unknown decision or field, no reasons.
    reasons = [{"field": "items.0", "reason": "信息项缺少数据长度以外的类型说明"},
               {"field": "summary", "reason": "摘要过简"}]
    for headers, body, status in [
        (dept, {"decision": "approve"}, 403),
        (OPERATOR, {"decision": "maybe"}, 422),
        (OPERATOR, {"decision": "return", "reasons": [{"field": "colour", "reason": "x"}]}, 422),
        (OPERATOR, {"decision": "return"}, 422),
        (OPERATOR, {"decision": "approve", "notice_days": -1}, 422),
    ]:
        refused = await client.post(f"/resources/{code}/review", headers=headers, json=body)
        assert refused.status_code == status, (body, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
    returned = await client.post(f"/resources/{code}/review", headers=OPERATOR,
                                 json={"decision": "return", "reasons": reasons})
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    assert returned.json()["review"]["reasons"] == reasons
    approve_returned = await client.post(f"/resources/{code}/review", headers=OPERATOR, json={"decision": "approve"})
    assert approve_returned.status_code == 409  # not published without resubmission

    fixed = await client.put(f"/resources/{code}/metadata", headers=dept, json={
        "metadata": metadata("社会组织登记信息", summary="全区社会组织的登记、变更和注销信息")})
    assert fixed.status_code == 200 and fixed.json()["status"] == "returned"
    assert (await client.post(f"/resources/{code}/submit", headers=dept)).status_code == 200
    await client.put("/admin/clock", headers=OPERATOR, json={"now": "2019-08-02T10:00:00+08:00"})  # a Friday
    noticed = await client.post(f"/resources/{code}/review", headers=OPERATOR,
                                json={"decision": "approve", "notice_days": 1})
    assert noticed.status_code == 200 and noticed.json()["status"] == "in_notice"
    assert noticed.json()["review"]["notice_until"].startswith("2019-08-05T16:00:00")  # 24:00 of Monday
    assert (await client.get(f"/resources/{code}", headers=outsider)).status_code == 404

    await client.put("/admin/clock", headers=OPERATOR, json={"now": "2019-08-06T09:00:00+08:00"})
    assert await status_of(client, code, "published") == "published"
    events = await said(kafka_bootstrap, unit, expect=5)
    # Submitted, returned and resubmitted at the same instant: their order across topics is not the events'.
    assert sorted(t for t, _, _ in events) == ["catalog.resource-published", "catalog.review-decided",
                                               "catalog.review-decided", "catalog.review-submitted",
                                               "catalog.review-submitted"]
    kind, published_at, payload = events[-1]
    assert kind == "catalog.resource-published"
    assert published_at.isoformat() == "2019-08-05T16:00:00+00:00"  # the notice's end, not when it was noticed
    assert payload["summary"] == "全区社会组织的登记、变更和注销信息"
    decided = sorted((p["decision"], p["reasons"]) for t, _, p in events if t == "catalog.review-decided")
    assert decided == [("approved", []), ("returned", reasons)]
    history = (await client.get(f"/resources/{code}/reviews", headers=dept)).json()
    assert [h["decision"] for h in history] == ["returned", "approved"]
    # The portal shows the unit (and the bureau) its reviews with the reasons; another unit sees none of them.
    mine = await client.get(f"/portal/resources/{code}", headers={"Cookie": f"hub_portal={dept['Authorization'][7:]}"})
    theirs = await client.get(f"/portal/resources/{code}",
                              headers={"Cookie": f"hub_portal={outsider['Authorization'][7:]}"})
    assert mine.status_code == theirs.status_code == 200
    assert "摘要过简" in mine.text and "已退回" in mine.text and 'id="reviews"' in mine.text
    assert "摘要过简" not in theirs.text and 'id="reviews"' not in theirs.text
    assert (await client.get(f"/resources/{code}", headers=outsider)).status_code == 200


async def test_a_published_change_is_reviewed_and_an_undecided_one_is_overdue_once(
    client: httpx.AsyncClient, kafka_bootstrap: str,  # noqa: F811
) -> None:
    unit = new_unit()
    await register(client, unit, "自治区文化和旅游厅")
    dept = token("department", unit)
    code = (await client.post("/resources", headers=dept, json={
        "provider": unit, "metadata": metadata("A级旅游景区名录")})).json()["code"]
    await client.post(f"/resources/{code}/submit", headers=dept)
    await client.post(f"/resources/{code}/review", headers=OPERATOR, json={"decision": "approve", "notice_days": 0})

    change = await client.put(f"/resources/{code}/metadata", headers=dept, json={
        "metadata": metadata("A级旅游景区名录", update_cycle="monthly")})
    assert change.status_code == 200 and change.json()["metadata"]["update_cycle"] == "daily"  # until approved
    again = await client.put(f"/resources/{code}/metadata", headers=dept, json={
        "metadata": metadata("A级旅游景区名录", update_cycle="weekly")})
    assert again.status_code == 409  # one change under review at a time

    await client.put("/admin/clock", headers=OPERATOR, json={"now": "2019-08-20T09:00:00+08:00"})
    for _ in range(100):
        late = (await client.get("/reviews", headers=dept, params={"state": "overdue"})).json()
        if late and late[0]["overdue_at"]:  # flagged by the clock watcher
            break
        await asyncio.sleep(0.1)
    assert [(e["resource_code"], e["subject"], e["overdue"], e["overdue_at"]) for e in late] == [
        (code, "change", True, "2019-08-08T16:00:00Z")]
    approved = await client.post(f"/resources/{code}/review", headers=OPERATOR, json={"decision": "approve"})
    assert approved.status_code == 200
    assert (approved.json()["version"], approved.json()["metadata"]["update_cycle"]) == (2, "monthly")
    events = await said(kafka_bootstrap, unit, expect=7)
    overdue = [(t, at) for t, at, _ in events if t == "catalog.review-overdue"]
    assert [at.isoformat() for _, at in overdue] == ["2019-08-08T16:00:00+00:00"]  # once, at the deadline
    assert [t for t, _, _ in events if t.startswith("catalog.resource")] == [
        "catalog.resource-published", "catalog.resource-metadata-changed"]
