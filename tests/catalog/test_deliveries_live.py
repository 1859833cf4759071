"""A delivery is the resource's update if the resource was mounted when the exchange accepted it, whenever
the catalog hears of it: one accepted while mounted and heard of after an unmount is still the update of its
day (it was refused before, and freshness lost it); one accepted after the unmount is refused, and so is one
that another unit states of the resource (the exchange's word on who delivered is checked, not trusted)."""

from __future__ import annotations

import asyncio
import base64
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson
import pytest
from contracts import DEADLETTER_TOPIC, new_envelope
from contracts.exchange import TableBatchAccepted
from hubkit.testing import read_topic, token

from tests.catalog.reviewing import publish as publish_resource
from tests.catalog.test_resources import OPERATOR, client, metadata, new_unit, register  # noqa: F401  (the fixture)
from tests.scoring_live.test_live_projection import publish

pytestmark = pytest.mark.integration
SH = ZoneInfo("Asia/Shanghai")


def batch(provider: str, code: str, day: int) -> Any:
    return new_envelope(TableBatchAccepted(batch_id=f"b-{uuid.uuid4().hex[:8]}", resource_code=code, rows=3,
                                           inserted=3, updated=0, deleted=0, first_seq=1, last_seq=3),
                        unit=provider, occurred_at=datetime(2019, 8, day, 10, tzinfo=SH))


async def test_a_delivery_counts_if_the_resource_was_mounted_when_it_was_accepted(
    client: httpx.AsyncClient, kafka_bootstrap: str,  # noqa: F811
) -> None:
    provider = new_unit()
    await register(client, provider, "自治区交付测试局")
    dept = token("department", provider)
    code = (await client.post("/resources", headers=dept, json={"provider": provider, "metadata": metadata(
        "交付测试表")})).json()["code"]
    assert (await publish_resource(client, code, dept)).status_code == 200
    await client.put("/admin/clock", headers=OPERATOR, json={"now": "2019-08-03T10:00:00+08:00"})
    mount = {"kind": "table", "system": "交付测试库", "table": "t_delivery"}
    assert (await client.put(f"/resources/{code}/mount", headers=dept, json=mount)).status_code == 200
    await client.put("/admin/clock", headers=OPERATOR, json={"now": "2019-08-10T10:00:00+08:00"})
    assert (await client.post(f"/resources/{code}/unmount", headers=dept, json={"reason": "换库"})).status_code == 200

    while_mounted, after_unmount = batch(provider, code, 5), batch(provider, code, 12)
    by_another = batch(new_unit(), code, 6)  # mounted then, but not this unit's resource
    await publish(kafka_bootstrap, [while_mounted, by_another, after_unmount])
    updates: list[dict[str, Any]] = []
    for _ in range(150):
        history = (await client.get(f"/resources/{code}/versions", headers=dept)).json()["history"]
        updates = [h for h in history if h["action"] == "updated"]
        if updates:
            break
        await asyncio.sleep(0.1)
    assert [(u["origin"], u["delivery_id"]) for u in updates] == [("delivery", while_mounted.data.batch_id)]
    assert updates[0]["at"].startswith("2019-08-05T02:00:00")
    assert "was not mounted" in await dead_letter(kafka_bootstrap, after_unmount), "refused after the unmount"
    assert f"no resource of {by_another.unit}" in await dead_letter(kafka_bootstrap, by_another)
    history = (await client.get(f"/resources/{code}/versions", headers=dept)).json()["history"]
    assert [h["delivery_id"] for h in history if h["action"] == "updated"] == [while_mounted.data.batch_id]
    now = (await client.get(f"/resources/{code}", headers=dept)).json()
    assert now["mount_kind"] is None and now["last_update_at"] is None  # unmounted: no data to be fresh


async def dead_letter(kafka_bootstrap: str, env: Any) -> str:
    """The reason the consumer gave when it dead-lettered `env` (waits for it, at most ~25 s)."""
    for _ in range(50):
        letters = [orjson.loads(v) for v in await read_topic(kafka_bootstrap, DEADLETTER_TOPIC, expect=100_000,
                                                               timeout=0.5)]
        for letter in letters:
            if letter["original_b64"] and str(env.id).encode() in base64.b64decode(letter["original_b64"]):
                return str(letter["reason"])
    raise AssertionError(f"{env.type} {env.id} was not dead-lettered")
