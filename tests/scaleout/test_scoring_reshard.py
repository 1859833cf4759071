"""Changing the shard count of a running deployment on the real broker and database: one projection, then two
(stopped while what they routed to each other is still in the outbox), then three, then one again, each started
after `hub-scoring reshard N` with every instance stopped, new events arriving in between, ends with the score
rows and the month's seal of one projection that read everything from the start; a reshard while an instance
still projects is refused and changes nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
from contextlib import AsyncExitStack
from pathlib import Path

import asyncpg
import pytest
from hubkit.kafka import ensure_topics
from hubkit.relay import OutboxRelay
from hubkit.runtime.broker import LocalBroker
from hubkit.testing import fresh_database, own_broker, running_app, token
from scoring.bootstrap import create_app
from scoring.cli import app
from scoring.reshard import ReshardRefused, reshard
from scoring.settings import ScoringSettings
from typer.testing import CliRunner

from tests.scaleout.test_scoring_shard_close import generated
from tests.scaleout.test_scoring_shards import CLOSED, PARTITIONS, ROWS, publish, scored, settled
from tests.scoring.builders import OTHER_DEPT, Log

pytestmark = pytest.mark.integration


def settings(url: str, bootstrap: str, shards: int = 1, shard: int = 0) -> ScoringSettings:
    return ScoringSettings(database_url=url, kafka_bootstrap=bootstrap, shards=shards, shard=shard,
                           outbox_poll_seconds=0.05, submissions="none", inventory="none")


async def fetch(url: str, query: str) -> list[tuple[object, ...]]:
    conn = await asyncpg.connect(url)
    try:
        return [tuple(r) for r in await conn.fetch(query)]
    finally:
        await conn.close()


async def run(url: str, bootstrap: str, shards: int, *, until: str | None = None, close: bool = False) -> dict:
    """`shards` instances until they settle, or until the query `until` answers true (then stopped as they are)."""
    async with AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(running_app(create_app(settings(url, bootstrap, shards, i))))
                   for i in range(shards)]
        if until is None:
            await settled(url, bootstrap, shards)
        else:
            while not (await fetch(url, until))[0][0]:
                await asyncio.sleep(0.02)
        if not close:
            return {}
        closing = await clients[-1].post(f"/months/{CLOSED}/close", headers=token("operator"))
        assert closing.status_code == 201, closing.text
        return dict(closing.json())


async def test_one_two_three_and_one_shard_again_score_what_one_projection_scores(
        pg_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    relay_open, publish_lane = asyncio.Event(), OutboxRelay._publish_lane
    relay_open.set()

    async def gated(self: OutboxRelay, urgent: bool) -> int:
        await relay_open.wait()
        return await publish_lane(self, urgent)

    monkeypatch.setattr(OutboxRelay, "_publish_lane", gated)
    broker: LocalBroker = own_broker(tmp_path / "broker")
    broker.start()
    try:
        bootstrap = broker.bootstrap
        await ensure_topics(bootstrap, partitions=PARTITIONS)
        url = await fresh_database(pg_server)
        await publish(bootstrap, generated(31))
        await run(url, bootstrap, 1)
        async with running_app(create_app(settings(url, bootstrap))) as client:
            while (await client.get("/ready")).status_code != 200:
                await asyncio.sleep(0.05)
            state = await fetch(url, "SELECT * FROM scoring.offsets ORDER BY 1, 2, 3")
            with pytest.raises(ReshardRefused, match="stop every scoring instance"):
                await reshard(settings(url, bootstrap), 2)
            assert await fetch(url, "SELECT * FROM scoring.offsets ORDER BY 1, 2, 3") == state
        assert (await reshard(settings(url, bootstrap), 2)).from_count == 1
        await publish(bootstrap, generated(32))
        relay_open.clear()  # what the two shards route to each other stays in the outbox
        await run(url, bootstrap, 2, until="SELECT count(*) > 0 FROM scoring.outbox WHERE topic LIKE '%routed%'")
        relay_open.set()
        assert (await reshard(settings(url, bootstrap), 3)).from_count == 2
        await publish(bootstrap, generated(33))
        await run(url, bootstrap, 3)
        three = await fetch(url, ROWS)
        assert (await reshard(settings(url, bootstrap), 1)).count == 1
        await publish(bootstrap, generated(34))
        seal = await run(url, bootstrap, 1, close=True)
        resharded = await fetch(url, ROWS)
        whole = await scored(pg_server, bootstrap, 1)  # one projection reading all of it from the start
        assert (await reshard(settings(whole.url, bootstrap), 1)).partitions == 0  # the same count: nothing to do
    finally:
        broker.stop()
    assert len({shards for shards, in await fetch(url, "SELECT DISTINCT shard FROM scoring.archive")}) == 3
    assert resharded == [tuple(r) for r in whole.rows]
    assert (seal["sha256"], seal["units"]) == (whole.closed["sha256"], whole.closed["units"])
    assert three != resharded  # the last events changed scores: the comparison above saw them


async def test_the_command_refuses_a_deployment_that_never_projected(pg_server: str,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    url = await fresh_database(pg_server)
    monkeypatch.setenv("HUB_DATABASE_URL", url)
    runner = CliRunner()
    result = await asyncio.to_thread(runner.invoke, app, ["reshard", "2"])
    assert result.exit_code == 2 and "nothing has been projected yet" in result.output, result.output
    assert (await asyncio.to_thread(runner.invoke, app, ["reshard", "0"])).exit_code == 2
    assert await fetch(url, "SELECT count(*) FROM scoring.reshards") == [(0,)]


async def test_shards_restarted_tell_nothing_new(pg_server: str, tmp_path: Path) -> None:
    """A shard's own events may end before the time frame all shards reached, which its stored rows were scored
    at: started again it scores in that frame, and finds nothing to correct or announce."""
    told = ("SELECT (SELECT count(*) FROM scoring.outbox WHERE topic NOT LIKE '%routed%'), "
            "(SELECT count(*) FROM scoring.score_ledger)")
    broker: LocalBroker = own_broker(tmp_path / "broker")
    broker.start()
    try:
        await ensure_topics(broker.bootstrap, partitions=PARTITIONS)
        url = await fresh_database(pg_server)
        late = Log().finding(OTHER_DEPT, "A1.2", "holds", "2020-03-20 10:00")  # shard 0's: the frame's end
        late["id"] = str(uuid.uuid4())
        await publish(broker.bootstrap, [*generated(41), json.dumps(late).encode()])
        await run(url, broker.bootstrap, 2)
        before = await fetch(url, told)
        rows = await fetch(url, ROWS)
        frames = await fetch(url, "SELECT shard, watermark FROM scoring.projection_state ORDER BY shard")
        await run(url, broker.bootstrap, 2)
    finally:
        broker.stop()
    assert len({wm for _, wm in frames}) == 1  # every shard scored in the one frame
    assert await fetch(url, told) == before and await fetch(url, ROWS) == rows
