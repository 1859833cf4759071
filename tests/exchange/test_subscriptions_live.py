"""#17 parts 3 and 4 on the real database and broker: the gateway honours a subscription's life at once
(suspended, expired, renewed, revoked: 403 with the reason, the provider never reached), enforces its quota
with 429 and Retry-After across concurrent calls (exactly the quota passes; refusals recorded, not the
provider's failures), and takes a calling system's own key, rotatable and revocable. Each step's event once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from contracts import decode, topic_for
from contracts.exchange import SubscriptionChanged
from hubkit.testing import serving, token

from tests.exchange.test_exchange import publish_catalog, unit, until_known
from tests.exchange.test_exchange_flows import (  # noqa: F401  (the fixture)
    OPERATOR,
    PROVIDER_PORT,
    counting_provider,
    exchange,
    move_clock,
    sh,
)

pytestmark = pytest.mark.integration


async def events_where(bootstrap: str, event_type: str, keep: Callable[[Any], bool], expect: int,
                       settle: float = 1.0) -> list[Any]:
    """The events of a type that `keep` selects: read until `expect` arrived, then `settle` s more (a duplicate
    would show)."""
    reader = AIOKafkaConsumer(topic_for(event_type), bootstrap_servers=bootstrap, group_id=None,
                              auto_offset_reset="earliest", enable_auto_commit=False)
    await reader.start()
    found: list[Any] = []
    try:
        loop = asyncio.get_running_loop()
        deadline, settled_at = loop.time() + 30, None
        while loop.time() < deadline and (settled_at is None or loop.time() < settled_at):
            for records in (await reader.getmany(timeout_ms=200)).values():
                found += [e for e in (decode(r.value or b"") for r in records) if keep(e)]
            if settled_at is None and len(found) >= expect:
                settled_at = loop.time() + settle
    finally:
        await reader.stop()
    return found


async def changes_of(bootstrap: str, consumer: str, expect: int, settle: float = 1.0) -> list[Any]:
    """The subscription-changed events about `consumer`."""
    return await events_where(bootstrap, SubscriptionChanged.TYPE, lambda e: e.unit == consumer, expect, settle)


async def test_the_gateway_honours_a_subscriptions_life_and_quota_at_once(
    exchange: httpx.AsyncClient, kafka_bootstrap: str  # noqa: F811
) -> None:
    provider, consumer = unit(), unit()
    [api] = await publish_catalog(kafka_bootstrap, provider, [{"name": "婚姻登记信息核验接口",
                                                               "share_type": "conditional"}])
    await until_known(exchange, [api])
    mine, prov = token("department", consumer), token("department", provider)
    rid = (await exchange.post("/requests", headers=mine, json={"resource_code": api, "purpose": "婚姻状况核验"})
           ).json()["id"]
    assert (await exchange.post(f"/requests/{rid}/review", headers=OPERATOR, json={"passed": True})).status_code == 200
    decided = await exchange.post(f"/requests/{rid}/decision", headers=prov,
                                  json={"approve": True, "valid_days": 10, "quota_per_minute": 3})
    assert decided.json()["valid_days"] == 10 and decided.json()["quota_per_minute"] == 3
    assert (await exchange.post(f"/requests/{rid}/reply", headers=OPERATOR)).status_code == 200
    sub = (await exchange.get(f"/subscriptions/{rid}", headers=mine)).json()
    assert sub["usable"] and sub["expires_at"] == "2019-08-15T09:00:00+08:00"
    assert sub["quota"] == {"per_minute": 3, "per_day": 100_000}  # the day's from the hub's settings
    assert (await exchange.get(f"/subscriptions/{rid}", headers=token("department", unit()))).status_code == 404

    hits: Counter[str] = Counter()
    async with serving(counting_provider(hits), port=PROVIDER_PORT) as upstream:
        assert (await exchange.put(f"/endpoints/{api}", headers=prov, json={"base_url": upstream})).status_code == 200

        async def call() -> httpx.Response:
            return await exchange.get(f"/gateway/{api}/echo", headers=mine)

        assert [(await call()).status_code for _ in range(3)] == [200, 200, 200]
        over = await call()
        assert over.status_code == 429 and over.json()["type"].endswith("quota-exceeded")
        assert over.headers["Retry-After"] == "60" and over.json()["call_id"]  # 09:00:00 sharp: the whole minute
        assert hits["/echo"] == 3

        refused = (await exchange.get("/calls", headers=mine, params={"status": "over_quota"})).json()["calls"]
        assert [(c["id"], c["refused"], c["status_code"]) for c in refused] == [(over.json()["call_id"], "quota", 429)]
        [day] = (await exchange.get("/stats/calls", headers=prov, params={"provider": provider})).json()["buckets"]
        assert (day["calls"], day["failed"], day["over_quota"]) == (3, 0, 1)  # never the provider's failure

        # Concurrent calls in a fresh minute: exactly the quota passes, whatever the interleaving.
        assert (await exchange.put(f"/subscriptions/{rid}/quota", headers=prov,
                                   json={"per_minute": 5, "per_day": 10})).status_code == 200
        await move_clock(exchange, "2019-08-05T09:01:30+08:00")
        burst = Counter(r.status_code for r in await asyncio.gather(*(call() for _ in range(12))))
        assert burst == Counter({200: 5, 429: 7}) and hits["/echo"] == 8
        assert int((await call()).headers["Retry-After"]) == 30
        # Refused calls ate nothing: the day (3 + 5 of 10 so far) still has 2.
        await move_clock(exchange, "2019-08-05T09:03:00+08:00")
        assert [(await call()).status_code for _ in range(2)] == [200, 200]
        full = await call()
        assert full.status_code == 429 and "a day" in full.json()["detail"]
        assert full.headers["Retry-After"] == str((24 - 9) * 3600 - 3 * 60)  # until midnight in Shanghai
        await exchange.put(f"/subscriptions/{rid}/quota", headers=prov, json={"per_minute": 5, "per_day": 1000})

        # Suspended by the bureau: refused at once, with the reason; resumed: through again.
        assert (await exchange.post(f"/subscriptions/{rid}/suspend", headers=prov,
                                    json={"reason": "x"})).status_code == 403  # the bureau's, not the provider's
        await exchange.post(f"/subscriptions/{rid}/suspend", headers=OPERATOR, json={"reason": "夜间批量抓取"})
        await move_clock(exchange, "2019-08-05T09:05:00+08:00")
        blocked = await call()
        assert blocked.status_code == 403 and "suspended: 夜间批量抓取" in blocked.json()["detail"]
        await exchange.post(f"/subscriptions/{rid}/resume", headers=OPERATOR)
        assert (await call()).status_code == 200 and hits["/echo"] == 11

        # The term ends: refused from that instant on, before any watcher ran; the watcher expires it once.
        await move_clock(exchange, "2019-08-15T09:00:00+08:00")
        ended = await call()
        assert ended.status_code == 403 and "expired" in ended.json()["detail"]

        async def status() -> str:
            return str((await exchange.get(f"/subscriptions/{rid}", headers=mine)).json()["status"])

        for _ in range(100):
            if await status() == "expired":
                break
            await asyncio.sleep(0.1)
        assert await status() == "expired"
        asked = await exchange.post(f"/subscriptions/{rid}/renewal-request", headers=mine)
        assert asked.json()["renewal_asked_at"] == "2019-08-15T09:00:00+08:00"
        queue = (await exchange.get("/subscriptions", headers=prov, params={"side": "provider",
                                                                             "renewal_asked": "true"})).json()
        assert [s["id"] for s in queue] == [rid]
        assert (await exchange.post(f"/subscriptions/{rid}/renew", headers=prov,
                                    json={"valid_days": 0})).status_code == 422
        renewed = await exchange.post(f"/subscriptions/{rid}/renew", headers=prov, json={"valid_days": 30})
        assert renewed.json()["expires_at"] == "2019-09-14T09:00:00+08:00"
        assert (await call()).status_code == 200

        # Revoked by the provider, with its reason: for good.
        assert (await exchange.post(f"/subscriptions/{rid}/revoke", headers=prov, json={})).status_code == 422
        await exchange.post(f"/subscriptions/{rid}/revoke", headers=prov, json={"reason": "共享依据已废止"})
        gone = await call()
        assert gone.status_code == 403 and "revoked by the provider: 共享依据已废止" in gone.json()["detail"]
        assert hits["/echo"] == 12
        used = await exchange.post("/data-uses", headers=mine, json={"resource_code": api, "purpose": "general"})
        assert used.status_code == 403 and "revoked" in used.json()["detail"]

    events = await changes_of(kafka_bootstrap, consumer, expect=5)
    assert [(e.data.change, e.data.by) for e in events] == [
        ("suspended", "bureau"), ("resumed", "bureau"), ("expired", "clock"), ("renewed", "provider"),
        ("revoked", "provider")]
    assert events[2].occurred_at == sh(2019, 8, 15, 9) and events[4].data.reason == "共享依据已废止"
    assert all(e.data.request_id == rid and e.data.provider_unit == provider for e in events)


async def test_a_calling_system_calls_with_its_own_key_rotated_and_revoked_at_once(
    exchange: httpx.AsyncClient, kafka_bootstrap: str  # noqa: F811
) -> None:
    provider, consumer, stranger = unit(), unit(), unit()
    [api] = await publish_catalog(kafka_bootstrap, provider, [{"name": "企业登记信息查询",
                                                               "share_type": "unconditional"}])
    await until_known(exchange, [api])
    mine = token("department", consumer)
    assert (await exchange.post("/requests", headers=mine, json={"resource_code": api, "purpose": "核验"})
            ).json()["status"] == "active"
    made = await exchange.post("/systems", headers=mine, json={"name": "一窗受理系统"})
    assert made.status_code == 201
    system, key = made.json()["id"], made.json()["key"]
    assert key.startswith(f"hubsys_{system}_") and made.json()["key_hint"].endswith(key[-4:])
    assert (await exchange.post("/systems", headers=mine, json={"name": "一窗受理系统"})).status_code == 409
    assert (await exchange.post("/systems", headers=mine, json={"name": " "})).status_code == 422
    listed = (await exchange.get("/systems", headers=mine)).json()
    assert [s["id"] for s in listed] == [system] and "key" not in listed[0]
    theirs = (await exchange.post("/systems", headers=token("department", stranger), json={"name": "外单位系统"})
              ).json()

    hits: Counter[str] = Counter()
    async with serving(counting_provider(hits), port=PROVIDER_PORT) as upstream:
        await exchange.put(f"/endpoints/{api}", headers=OPERATOR, json={"base_url": upstream})

        async def call(with_key: str) -> httpx.Response:
            return await exchange.get(f"/gateway/{api}/echo", headers={"X-Hub-System-Key": with_key})

        through = await call(key)
        assert through.status_code == 200
        assert (await call(key[:-1] + ("A" if key[-1] != "A" else "B"))).status_code == 401
        assert (await exchange.get(f"/gateway/{api}/echo")).status_code == 401  # neither token nor key
        assert (await call(theirs["key"])).status_code == 403  # its unit holds no subscription

        assert (await exchange.post(f"/systems/{system}/rotate",
                                    headers=token("department", stranger))).status_code == 404
        rotated = (await exchange.post(f"/systems/{system}/rotate", headers=mine)).json()
        assert (await call(key)).status_code == 401 and (await call(rotated["key"])).status_code == 200
        assert (await exchange.delete(f"/systems/{system}", headers=mine)).json()["revoked_at"]
        assert (await call(rotated["key"])).status_code == 401
        assert (await exchange.post(f"/systems/{system}/rotate", headers=mine)).status_code == 409
        assert hits["/echo"] == 2

    calls = (await exchange.get("/calls", headers=mine, params={"consumer": consumer})).json()["calls"]
    assert [(c["consumer"], c["system_id"]) for c in calls] == [(consumer, system)] * 2
