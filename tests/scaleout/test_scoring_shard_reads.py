"""With shards, every instance answers a read of a unit alike, whichever shard owns it: memory holds the facts of
the instance's own units only, so a read of another shard's unit is answered from the archive (the unit's events,
those about it, its counties'). Alerts once came without what the unit owes (a request to decide) and a unit's
score as of an instant was evaluated on facts the instance did not have; and a unit's facts read off its shard lacked
those another unit's event states about it (a use of its license without the seal)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from contracts import new_envelope
from contracts.elicense import LicenseUsed
from contracts.exchange import RequestForwarded
from contracts.registry_events import UnitRegistered
from contracts.scoring import FindingRecorded
from hubkit.kafka import ensure_topics
from hubkit.runtime.broker import LocalBroker
from hubkit.testing import fresh_database, own_broker, running_app, token
from scoring.bootstrap import create_app
from scoring.settings import ScoringSettings
from scoring.views import LiveView

from tests.scoring_live.test_alerts import until
from tests.scoring_live.test_live_projection import SH, failed_call, publish, registered, unique_unit

pytestmark = pytest.mark.integration
SHARDS = PARTITIONS = 2


def city_and_county(n: int) -> tuple[str, str, list[Any]]:
    city, county = unique_unit(), unique_unit()
    at = datetime(2019, 7, 1, 9, tzinfo=SH)
    return city, county, [
        new_envelope(UnitRegistered(name=f"测试{n}市", kind="city", division_code="450100"), unit=city, occurred_at=at),
        new_envelope(UnitRegistered(name=f"测试{n}县", kind="county", division_code="450100", parent_unit=city),
                     unit=county, occurred_at=at)]


async def reads(client: httpx.AsyncClient, unit: str) -> dict[str, Any]:
    """What a department reads of its unit (the to-do list without its own instant of asking)."""
    own = token("department", unit)
    got = {path: (await client.get(path, headers=own)) for path in (
        f"/alerts/{unit}", f"/scores/{unit}/as-of?instant=2019-08-30T00:00:00%2B08:00",
        f"/scores/{unit}?month=2019-08", f"/todo/{unit}")}
    return {path: (r.status_code, {k: v for k, v in r.json().items() if k != "as_of"} if path.startswith("/todo")
                   else r.json()) for path, r in got.items()}


async def test_every_instance_reads_a_unit_alike(pg_server: str, tmp_path: Path) -> None:
    url, consumer = await fresh_database(pg_server), unique_unit()
    providers = [unique_unit() for _ in range(4)]  # on both shards, as they fall
    pairs = [city_and_county(n) for n in range(3)]

    def settings(shard: int) -> ScoringSettings:
        return ScoringSettings(database_url=url, shards=SHARDS, shard=shard, kafka_bootstrap=broker.bootstrap,
                               submissions="none", inventory="none", outbox_poll_seconds=0.05)

    broker: LocalBroker = own_broker(tmp_path / "broker")
    broker.start()
    try:
        await ensure_topics(broker.bootstrap, partitions=PARTITIONS)
        async with AsyncExitStack() as stack:
            apps = [create_app(settings(n)) for n in range(SHARDS)]
            clients = [await stack.enter_async_context(running_app(app)) for app in apps]
            await publish(broker.bootstrap, [
                registered(consumer, "自治区用数厅"),
                *(registered(u, f"自治区读数{n}厅") for n, u in enumerate(providers)),
                *(e for _, _, events in pairs for e in events),
                *(new_envelope(RequestForwarded(request_id=f"r-{n}", data_kind="government"), unit=u,
                               occurred_at=datetime(2019, 8, 29, 9, tzinfo=SH)) for n, u in enumerate(providers)),
                *(failed_call(u, consumer, 29) for u in providers),
                *(new_envelope(FindingRecorded(finding_id=f"f-{county}", item="C2.1", effect="holds", inspector="i"),
                               unit=county, occurred_at=datetime(2019, 8, 20, 9, tzinfo=SH))  # costs its city
                  for _, county, _ in pairs),
                *(new_envelope(LicenseUsed(license_id=f"L-{n}", issuer_unit=u, sealed=False, waived_materials=1),
                               unit=consumer, occurred_at=datetime(2019, 8, 21, 9, tzinfo=SH))  # about its issuer
                  for n, u in enumerate(providers))])
            units = [*providers, *(city for city, _, _ in pairs)]  # scored (a county is not: its city is)
            for unit in units:
                async def scored(unit: str = unit) -> bool:
                    return all([(await client.get(f"/scores/{unit}?month=2019-08", headers=token("operator"))
                                 ).status_code == 200 for client in clients])

                await until(scored, timeout=90)

            async def alerted() -> bool:
                return all([(await reads(client, u))[f"/alerts/{u}"][1] for u in providers for client in clients])

            await until(alerted, timeout=90)
            for unit in [*units, *(county for _, county, _ in pairs)]:
                first, second = await reads(clients[0], unit), await reads(clients[1], unit)
                assert first == second, unit
                assert unit not in units or all(status == 200 for status, _ in first.values()), (unit, first)
            for n, unit in enumerate(providers):
                alerts = (await reads(clients[0], unit))[f"/alerts/{unit}"][1]  # the call's, the unsealed use's
                assert alerts and all(f"请在 2019-09-03 24:00 前审核答复共享申请 r-{n}。" in alert["advice"]
                                      for alert in alerts), alerts
            for city, _, _ in pairs:  # its county's finding is in its score, read from either shard
                as_of = (await reads(clients[0], city))[f"/scores/{city}/as-of?instant=2019-08-30T00:00:00%2B08:00"]
                assert as_of[1]["items"]["C2.1"] == "4.00", as_of
            views = [LiveView(app.state.projector, app.state.ruleset, app.state.host.pool) for app in apps]

            async def all_facts(unit: str) -> list[Any]:
                return [await view.facts_of(unit) for view in views]

            async def uses_read() -> bool:  # the issuer's side of each use, on its shard and off it
                return all([facts.elicense.unsealed_uses for unit in providers for facts in await all_facts(unit)])

            await until(uses_read, timeout=30)
            for unit in [consumer, *units, *(county for _, county, _ in pairs)]:
                first, second = await all_facts(unit)
                assert first == second, unit
    finally:
        broker.stop()
