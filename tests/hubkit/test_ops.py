"""Dead letters and lag an operator can see: list, show, re-drive after a fix, status per consumer.

A message a consumer cannot take (not an envelope, an unknown type or version, larger than the
configured limit, or rejected by the handler) goes to the dead-letter topic with its reason; an
operator lists it, reads the original, fixes the cause and re-drives it. A re-drive that fails
again becomes a new letter naming the first one, and nothing re-drives by itself.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg
import orjson
import pytest
from contracts import Envelope, encode
from contracts.catalog import ResourceUpdated
from hubkit.kafka import Rejected, make_producer
from hubkit.service import ConsumerSpec, ServiceSpec, build_app
from hubkit.settings import HubSettings
from hubkit.testing import running_app, token

from tests.hubkit.test_messaging import TOPIC, event, wait_for

pytestmark = pytest.mark.integration


async def test_deadletters_listed_shown_redriven_once_fixed(database_url: str, kafka_bootstrap: str,
                                                            tmp_path: Path) -> None:
    (tmp_path / "gamma").mkdir()
    (tmp_path / "gamma" / "001_seen.sql").write_text("CREATE TABLE seen (event_id uuid, records int);")
    settings = HubSettings(database_url=database_url, kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.2,
                           kafka_max_message_bytes=4096)
    fixed = asyncio.Event()
    unlucky = 13 + uuid.uuid4().int % 1000 * 100  # this test's own value

    async def handler(conn: asyncpg.Connection, env: Envelope) -> None:
        if not isinstance(env.data, ResourceUpdated):
            # The topic is the session broker's: another test's misplaced event on it (a call failure, which the
            # scoring projection must dead-letter) is none of this consumer's business.
            return
        records = env.data.records
        if records == unlucky and not fixed.is_set():
            raise Rejected(f"records {records} cannot be taken yet")
        await conn.execute("INSERT INTO seen VALUES ($1, $2)", env.id, records)

    name = f"feed{uuid.uuid4().hex[:6]}"
    spec = ServiceSpec(name="gamma", settings=settings, migrations=tmp_path / "gamma", routers=[],
                       consumers=[ConsumerSpec(name, [TOPIC], handler)])
    operator, dept = token("operator"), token("department", "11450000MB1519000C")
    producer = make_producer(settings)
    await producer.start()
    tag = uuid.uuid4().hex
    bad = event(unlucky)
    unknown = orjson.loads(encode(event(2)))
    unknown["type"] = "catalog.resource-exploded"
    newer = orjson.loads(encode(event(3)))
    newer["version"] = 9
    huge = orjson.loads(encode(event(4)))
    huge["data"]["note"] = "x" * 5000
    try:
        async with running_app(build_app(spec)) as client:
            pool = client._transport.app.state.host.pool  # type: ignore[attr-defined]
            for value in (f"not json {tag}".encode(), orjson.dumps(unknown), orjson.dumps(newer),
                          orjson.dumps(huge), encode(bad)):
                await producer.send_and_wait(TOPIC, value=value, key=bad.unit.encode())
            good = event(5)
            await producer.send_and_wait(TOPIC, value=encode(good), key=good.unit.encode())

            async def good_seen() -> bool:
                return bool(await pool.fetchval("SELECT count(*) FROM seen WHERE event_id = $1", good.id))

            await wait_for(good_seen, timeout=30)

            async def letters() -> list[dict[str, object]]:
                r = await client.get("/ops/deadletters?limit=1000", headers=operator)
                assert r.status_code == 200, r.text
                return [d for d in r.json()["letters"] if d["consumer"] == f"gamma.{name}"]

            async def five() -> bool:
                return len(await letters()) >= 5

            await wait_for(five, timeout=30)
            reasons = {d["reason"] for d in await letters()}
            assert any("invalid event" in r for r in reasons)
            assert any("unknown event type 'catalog.resource-exploded'" in r for r in reasons)
            assert any("v9 is newer than this reader knows" in r for r in reasons)
            assert any("exceeds the limit of 4096 bytes" in r for r in reasons)
            rejected = next(d for d in await letters() if "cannot be taken yet" in str(d["reason"]))
            assert rejected["topic"] == TOPIC and rejected["redriven"] is False

            shown = (await client.get(f"/ops/deadletters/{rejected['id']}", headers=operator)).json()
            assert shown["original_text"] == encode(bad).decode() and shown["redrives"] == []
            assert (await client.get(f"/ops/deadletters/{rejected['id']}", headers=dept)).status_code == 403
            assert (await client.post(f"/ops/deadletters/{rejected['id']}/redrive", headers=dept)).status_code == 403
            assert (await client.get("/ops/deadletters/9-99999999", headers=operator)).status_code == 404
            assert (await client.get("/ops/deadletters/nonsense", headers=operator)).status_code == 404

            # Re-driven before the fix: it fails again, as a new letter naming the first; no loop.
            r = await client.post(f"/ops/deadletters/{rejected['id']}/redrive", headers=operator)
            assert r.status_code == 200, r.text

            async def failed_again() -> bool:
                return any(d["redrive_of"] == rejected["id"] for d in await letters())

            await wait_for(failed_again, timeout=30)
            again = [d for d in await letters() if d["redrive_of"] == rejected["id"]]
            await asyncio.sleep(2.0)
            assert len([d for d in await letters() if d["redrive_of"] == rejected["id"]]) == len(again) == 1
            assert (await client.post(f"/ops/deadletters/{rejected['id']}/redrive",
                                      headers=operator)).status_code == 409

            # After the fix, re-driving the new letter applies the event once.
            fixed.set()
            r = await client.post(f"/ops/deadletters/{again[0]['id']}/redrive", headers=operator)
            assert r.status_code == 200, r.text

            async def bad_seen() -> bool:
                return bool(await pool.fetchval("SELECT count(*) FROM seen WHERE event_id = $1", bad.id))

            await wait_for(bad_seen, timeout=30)
            shown = (await client.get(f"/ops/deadletters/{rejected['id']}", headers=operator)).json()
            assert [x["actor"] for x in shown["redrives"]] == ["operator:hub"]
            listed = {d["id"]: d for d in await letters()}
            assert listed[rejected["id"]]["redriven"] is True

            status = (await client.get("/ops/status", headers=operator)).json()
            mine = next(c for c in status["consumers"] if c["consumer"] == f"gamma.{name}")
            assert mine["lag"] == 0
            assert status["relay"]["unsent"] == 0 and status["relay"]["cluster_id"]
            assert status["deadletters"] >= 6
            assert (await client.get("/ops/status", headers=dept)).status_code == 403
    finally:
        await producer.stop()
