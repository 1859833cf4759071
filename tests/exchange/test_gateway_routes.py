"""The gateway remembers routes, but a remembered route is used only while its rows are unchanged: an endpoint
moved, a quota changed or a subscription suspended is honoured on the very next call (the quota and the
suspension: test_subscriptions_live)."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest
from hubkit.testing import serving, token

from tests.exchange.test_egress import provider_of_secrets
from tests.exchange.test_exchange_flows import (  # noqa: F401 - the fixture is used by name
    PROVIDER_PORT,
    exchange,
    publish_catalog,
    unit,
    until_known,
)

pytestmark = pytest.mark.integration


async def test_a_moved_endpoint_is_called_at_its_new_place_on_the_next_call(
        exchange: httpx.AsyncClient, kafka_bootstrap: str) -> None:  # noqa: F811
    provider, consumer = unit(), unit()
    [api] = await publish_catalog(kafka_bootstrap, provider, [{"name": "迁移接口", "share_type": "unconditional"}])
    await until_known(exchange, [api])
    mine, prov = token("department", consumer), token("department", provider)
    assert (await exchange.post("/requests", headers=mine, json={"resource_code": api, "purpose": "核验"})
            ).json()["status"] == "active"
    hits: Counter[str] = Counter()
    async with serving(provider_of_secrets(hits), port=PROVIDER_PORT) as upstream:
        for place in ("old", "new", "newer"):
            assert (await exchange.put(f"/endpoints/{api}", headers=prov,
                                       json={"base_url": f"{upstream}/{place}"})).status_code == 200
            for _ in range(3):  # the first call reads the route, the others use it remembered
                assert (await exchange.get(f"/gateway/{api}/q", headers=mine)).json()["path"] == f"/{place}/q"
    assert hits == Counter({"/old/q": 3, "/new/q": 3, "/newer/q": 3})
    routes = exchange._transport.app.state.gateway.routes  # type: ignore[attr-defined]
    assert routes.get(consumer, api) is not None  # it was remembered (so the test exercised the cache)
