"""Two replicas of the e-license library on one database, blob store and broker: the same push or use sent to
both at the same moment (an issuer's retry landing on the other replica) is one license, one use and one
event, and both relays together publish each event once."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from pathlib import Path

import pytest
from contracts import decode
from contracts.values import make_uscc
from elicense.bootstrap import create_app
from elicense.settings import ElicenseSettings
from hubkit.testing import read_topic, running_app, token

from tests.elicense.test_elicense_api import BUSINESS, PUSHED, USED, license_body, new_unit

pytestmark = pytest.mark.integration


async def published(bootstrap: str, ids: set[str], expect: int) -> list[tuple[str, str, str]]:
    """(type, license id, event id) of every push and use of these licenses: read until `expect` arrived,
    then once more after a pause, so that a duplicate would be seen too."""
    found: list[tuple[str, str, str]] = []
    settled = False
    for _ in range(80):
        found = []
        for topic in (PUSHED, USED):
            for raw in await read_topic(bootstrap, topic, expect=10**6, timeout=0.3):
                env = decode(raw)
                lid = getattr(env.data, "license_id", None)
                if lid in ids:
                    found.append((env.type, str(lid), str(env.id)))
        if len(found) >= expect:
            if settled:
                break
            settled = True
            await asyncio.sleep(1.5)
            continue
        await asyncio.sleep(0.1)
    return found


async def test_two_replicas_of_the_library_record_each_push_and_use_once(
        database_url: str, kafka_bootstrap: str, tmp_path: Path) -> None:
    settings = ElicenseSettings(database_url=database_url, kafka_bootstrap=kafka_bootstrap,
                                blob_dir=str(tmp_path / "blobs"), simulated_clock=True,
                                simulated_start="2019-08-05T09:00:00+08:00", outbox_poll_seconds=0.05)
    issuer, window = new_unit(), new_unit()
    mine, desk = token("department", issuer), token("department", window)
    ids = [f"REP-{uuid.uuid4().hex[:8]}-{n}" for n in range(8)]
    async with running_app(create_app(settings)) as a, running_app(create_app(settings)) as b:
        assert (await a.put(f"/claims/{issuer}", headers=mine,
                            json={"license_types": [BUSINESS], "stock": {BUSINESS: 8}})).status_code == 200
        assert (await b.put(f"/use-authorisations/{issuer}/{window}", headers=mine,
                            json={"license_types": [BUSINESS]})).status_code == 200
        pushes = await asyncio.gather(*(
            replica.post("/licenses", headers=mine, json={"license": license_body(
                lid, make_uscc("450100", f"MA5R{n:04d}")), "mode": "auto_incremental"})
            for n, lid in enumerate(ids) for replica in (a, b)))
        for n in range(len(ids)):
            pair = pushes[2 * n: 2 * n + 2]
            assert sorted((r.status_code, r.json()["outcome"]) for r in pair) == [(200, "unchanged"),
                                                                                  (201, "created")], pair[0].text
        uses = await asyncio.gather(*(
            replica.post("/uses", headers=desk, json={"license_id": lid, "item": "企业开办", "waived_materials": 1,
                                                      "use_id": f"U-{lid}"})
            for lid in ids for replica in (b, a)))
        for n in range(len(ids)):
            pair = uses[2 * n: 2 * n + 2]
            assert sorted((r.status_code, r.json()["recorded"]) for r in pair) == [(200, False), (201, True)], \
                pair[0].text
        found = await published(kafka_bootstrap, set(ids), expect=2 * len(ids))
    assert Counter((t, lid) for t, lid, _ in found) == Counter(
        {(t, lid): 1 for lid in ids for t in ("elicense.license-pushed", "elicense.license-used")})
    assert len({event for _, _, event in found}) == len(found)
