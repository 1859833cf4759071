"""A resource's use as the catalog hears it from the exchange (#18 part 5's subscribers and ratings), over the real
broker and database: events of four topics in any order, a late older step changing nothing, a later rating
replacing an earlier one, and a rating naming another provider's resource dead-lettered, not counted."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from contracts import new_envelope
from contracts.exchange import RequestApproved, RequestSubmitted, ResourceRated, SubscriptionChanged
from hubkit.testing import token

from tests.catalog.reviewing import publish as publish_resource
from tests.catalog.test_resources import client, metadata, new_unit, register  # noqa: F401  (the fixture)
from tests.scoring_live.test_live_projection import publish

pytestmark = pytest.mark.integration
SH = ZoneInfo("Asia/Shanghai")


def at(day: int) -> datetime:
    return datetime(2019, 8, day, 10, tzinfo=SH)


async def test_subscribers_and_ratings_follow_the_exchange_in_any_order(
    client: httpx.AsyncClient, kafka_bootstrap: str,  # noqa: F811
) -> None:
    provider, first, second, stranger = new_unit(), new_unit(), new_unit(), new_unit()
    await register(client, provider, "自治区使用测试局")
    dept = token("department", provider)
    code = (await client.post("/resources", headers=dept, json={"provider": provider, "metadata": metadata(
        "使用测试资源")})).json()["code"]
    assert (await publish_resource(client, code, dept)).status_code == 200
    one, two = f"r-{uuid.uuid4().hex[:8]}", f"r-{uuid.uuid4().hex[:8]}"

    def rating(unit: str, quality: int, day: int, of: str = provider) -> object:
        return new_envelope(ResourceRated(resource_code=code, provider_unit=of, quality=quality, timeliness=3,
                                          usefulness=3), unit=unit, occurred_at=at(day))

    def step(request_id: str, unit: str, change: str, day: int) -> object:
        return new_envelope(SubscriptionChanged(request_id=request_id, resource_code=code, provider_unit=provider,
                                                change=change, by="provider", reason="r"),  # type: ignore[arg-type]
                            unit=unit, occurred_at=at(day))

    await publish(kafka_bootstrap, [  # type: ignore[list-item]
        # approved before the request is heard of (another topic); the second unit's subscription expires on
        # the 20th, and a renewal of the 10th arrives after it: still ended
        new_envelope(RequestApproved(request_id=one, data_kind="government", forwarded_at=at(2)), unit=provider,
                     occurred_at=at(3)),
        new_envelope(RequestSubmitted(request_id=one, requester_unit=first, resource_code=code,
                                      data_kind="government"), unit=provider, occurred_at=at(1)),
        new_envelope(RequestSubmitted(request_id=two, requester_unit=second, resource_code=code,
                                      data_kind="government"), unit=provider, occurred_at=at(1)),
        new_envelope(RequestApproved(request_id=two, data_kind="government", forwarded_at=at(2)), unit=provider,
                     occurred_at=at(3)),
        step(two, second, "expired", 20), step(two, second, "renewed", 10),
        rating(first, 5, 12), rating(first, 2, 11),  # the later (5) stands
        rating(second, 3, 12), rating(stranger, 1, 12, of=stranger),  # another provider's: dead-lettered
    ])
    use: dict[str, object] = {}
    for _ in range(150):
        use = (await client.get(f"/resources/{code}/usage", headers=dept)).json()
        if use["ratings"] == 2 and use["subscribers"] == 1:
            break
        await asyncio.sleep(0.1)
    assert (use["subscribers"], use["ratings"], use["quality"]) == (1, 2, 4.0)



async def test_another_units_draft_is_unknown_to_its_usage_and_its_portal_page(
    client: httpx.AsyncClient,  # noqa: F811
) -> None:
    owner, other = new_unit(), new_unit()
    await register(client, owner, "自治区草稿测试局")
    mine, theirs = token("department", owner), token("department", other)
    code = (await client.post("/resources", headers=mine, json={"provider": owner, "metadata": metadata(
        "尚未发布的草稿资源")})).json()["code"]
    assert (await client.get(f"/resources/{code}/usage", headers=mine)).status_code == 200
    hidden = await client.get(f"/resources/{code}/usage", headers=theirs)
    assert hidden.status_code == 404 and "尚未发布" not in hidden.text
    own_page = await client.get(f"/portal/resources/{code}",
                                headers={"Cookie": f"hub_portal={mine['Authorization'][7:]}"})
    assert own_page.status_code == 200 and "尚未发布的草稿资源" in own_page.text
    for path in (f"/portal/resources/{code}", "/portal/resources/made-up-code", f"/portal/units/{new_unit()}"):
        page = await client.get(path, headers={"Cookie": f"hub_portal={theirs['Authorization'][7:]}"})
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html"), path
        assert "尚未发布的草稿资源" not in page.text and "未找到" in page.text
