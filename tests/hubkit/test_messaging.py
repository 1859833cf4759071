"""Outbox → real broker → idempotent consumer, dead letters, and a broker outage during writes."""

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import orjson
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import CommitFailedError
from contracts import DEADLETTER_TOPIC, Envelope, encode, new_envelope
from contracts.catalog import ResourceUpdated
from contracts.values import build_resource_code, make_uscc
from hubkit import outbox
from hubkit.db import create_pool, migrate_service
from hubkit.kafka import IdempotentConsumer, ensure_topics, make_producer
from hubkit.relay import OutboxRelay
from hubkit.runtime.ports import free_port
from hubkit.service import ServiceHost, ServiceSpec
from hubkit.settings import HubSettings
from hubkit.testing import own_broker, read_topic

pytestmark = pytest.mark.integration
UNIT = make_uscc("450000", "MB151900")
TOPIC = "hub.catalog.resource-updated.v1"


def event(records: int = 1) -> Envelope:
    code = build_resource_code("450000", UNIT, records)
    return new_envelope(ResourceUpdated(resource_code=code, records=records), unit=UNIT,
                        occurred_at=datetime(2019, 8, 5, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))


async def wait_for(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.1)


@dataclass
class Wiring:
    """Service alpha's outbox relayed to the broker; service beta's idempotent consumer of TOPIC."""

    alpha: asyncpg.Pool
    beta: asyncpg.Pool
    producer: AIOKafkaProducer
    relay: OutboxRelay
    consumer: IdempotentConsumer


@asynccontextmanager
async def alpha_to_beta(settings: HubSettings, tmp_path: Path) -> AsyncIterator[Wiring]:
    (tmp_path / "alpha").mkdir(exist_ok=True)
    (tmp_path / "beta").mkdir(exist_ok=True)
    (tmp_path / "beta" / "001_seen.sql").write_text("CREATE TABLE seen (event_id uuid, type text);")
    await migrate_service(settings.database_url, "alpha", tmp_path / "alpha")
    await migrate_service(settings.database_url, "beta", tmp_path / "beta")
    alpha, beta = await create_pool(settings.database_url, "alpha"), await create_pool(settings.database_url, "beta")
    producer = make_producer(settings)
    await producer.start()

    async def handler(conn: asyncpg.Connection, env: Envelope) -> None:
        await conn.execute("INSERT INTO seen VALUES ($1, $2)", env.id, env.type)

    consumer = IdempotentConsumer(settings=settings, pool=beta, schema="beta", name=f"beta-{uuid.uuid4().hex[:6]}",
                                  topics=[TOPIC], handler=handler, producer=producer)
    relay = OutboxRelay(alpha, "alpha", producer, poll_seconds=0.2)
    tasks = [asyncio.create_task(relay.run()), asyncio.create_task(consumer.run())]
    try:
        yield Wiring(alpha, beta, producer, relay, consumer)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await producer.stop()
        await alpha.close()
        await beta.close()


@pytest.fixture
async def wiring(database_url: str, kafka_bootstrap: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = HubSettings(database_url=database_url, kafka_bootstrap=kafka_bootstrap)
    async with alpha_to_beta(settings, tmp_path) as w:
        yield w.alpha, w.beta, w.producer


async def count_seen(pool: asyncpg.Pool, event_id: uuid.UUID) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM seen WHERE event_id = $1", event_id))


async def test_outbox_event_is_consumed_once_by_another_service(wiring) -> None:  # type: ignore[no-untyped-def]
    alpha, beta, producer = wiring
    env = event(1)
    async with alpha.acquire() as conn, conn.transaction():
        await outbox.add(conn, "alpha", env)

    async def arrived() -> bool:
        return await count_seen(beta, env.id) == 1

    await wait_for(arrived)
    assert await outbox.pending(alpha, "alpha") == 0

    # A redelivery of the very same envelope changes nothing.
    await producer.send_and_wait(TOPIC, value=encode(env), key=env.unit.encode())
    later = event(2)
    await producer.send_and_wait(TOPIC, value=encode(later), key=later.unit.encode())

    async def later_arrived() -> bool:
        return await count_seen(beta, later.id) == 1

    await wait_for(later_arrived)
    assert await count_seen(beta, env.id) == 1


async def test_a_commit_refused_after_a_rebalance_does_not_stop_the_consumer(
    database_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    """A broker back with a new log (or any rebalance) answers the next commit with IllegalGeneration,
    which aiokafka raises as CommitFailedError. Before: the error ended the consumer's loop and nothing
    after it was ever applied (the reseed test caught it under CI load)."""
    settings = HubSettings(database_url=database_url, kafka_bootstrap=kafka_bootstrap)
    async with alpha_to_beta(settings, tmp_path) as wired:
        first, second = event(6), event(7)

        async def assigned() -> bool:
            return bool(wired.consumer.consumer and wired.consumer.consumer.assignment())

        await wait_for(assigned, timeout=30)
        kafka = wired.consumer.consumer
        assert kafka is not None
        commit, refused = kafka.commit, []

        async def refuse_once(*args: object, **kwargs: object) -> None:
            if not refused:
                refused.append(True)
                raise CommitFailedError("Commit cannot be completed since the group has already rebalanced")
            await commit(*args, **kwargs)  # type: ignore[arg-type]

        kafka.commit = refuse_once  # type: ignore[method-assign]
        for env in (first, second):
            async with wired.alpha.acquire() as conn, conn.transaction():
                await outbox.add(conn, "alpha", env)

            async def arrived(env: Envelope = env) -> bool:
                return await count_seen(wired.beta, env.id) == 1

            await wait_for(arrived)
        assert refused and await count_seen(wired.beta, first.id) == 1


async def test_rolled_back_write_publishes_nothing(wiring) -> None:  # type: ignore[no-untyped-def]
    alpha, _, _ = wiring
    env = event(3)
    with pytest.raises(RuntimeError):
        async with alpha.acquire() as conn, conn.transaction():
            await outbox.add(conn, "alpha", env)
            raise RuntimeError("the state change failed")
    assert await alpha.fetchval("SELECT count(*) FROM outbox WHERE event_id = $1", env.id) == 0


async def test_malformed_messages_are_deadlettered_and_the_consumer_goes_on(wiring, kafka_bootstrap: str) -> None:  # type: ignore[no-untyped-def]
    _, beta, producer = wiring
    garbage = b"{not json at all"
    bad_unit = orjson.loads(encode(event(4)))
    bad_unit["unit"] = "11450000MB1519000K"  # the seed's sample: wrong check character
    bad_bytes = orjson.dumps(bad_unit)
    await producer.send_and_wait(TOPIC, value=garbage, key=b"x")
    await producer.send_and_wait(TOPIC, value=bad_bytes, key=b"x")
    good = event(5)
    await producer.send_and_wait(TOPIC, value=encode(good), key=good.unit.encode())

    async def good_arrived() -> bool:
        return await count_seen(beta, good.id) == 1

    await wait_for(good_arrived)
    letters = [orjson.loads(v) for v in await read_topic(kafka_bootstrap, DEADLETTER_TOPIC, expect=50, timeout=3)]
    by_original = {base64.b64decode(d["original_b64"]): d for d in letters}
    assert garbage in by_original and bad_bytes in by_original
    assert by_original[garbage]["topic"] == TOPIC
    assert "unit" in by_original[bad_bytes]["reason"] and "C" in by_original[bad_bytes]["reason"]


async def test_events_written_while_the_broker_is_down_flow_when_it_returns(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    settings = HubSettings(database_url=database_url, kafka_bootstrap=f"127.0.0.1:{port}", outbox_poll_seconds=0.2)
    (tmp_path / "gamma").mkdir()
    host = ServiceHost(ServiceSpec(name="gamma", settings=settings, migrations=tmp_path / "gamma", routers=[]))
    await host.start()
    broker = own_broker(tmp_path, port)
    try:
        env = event(6)
        async with host.pool.acquire() as conn, conn.transaction():
            await outbox.add(conn, "gamma", env)
        await asyncio.sleep(1.0)
        assert await outbox.pending(host.pool, "gamma") == 1
        assert (await host.ready())["broker"] == "unavailable"

        broker.start()
        await ensure_topics(broker.bootstrap, [TOPIC], partitions=1)

        async def drained() -> bool:
            return await outbox.pending(host.pool, "gamma") == 0

        await wait_for(drained, timeout=40)
        values = await read_topic(broker.bootstrap, TOPIC, expect=2, timeout=3)
        assert [orjson.loads(v)["id"] for v in values] == [str(env.id)]
    finally:
        await host.stop()
        broker.stop()
