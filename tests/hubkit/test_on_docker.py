"""The same outbox → broker → consumer path on Apache Kafka and PostgreSQL containers, where Docker exists.

These machines have no Docker engine: the test is skipped there, with the reason, and the
embedded servers cover the path in test_messaging.py.
"""

import asyncio
import uuid
from pathlib import Path

import asyncpg
import pytest
from contracts import Envelope
from hubkit import outbox
from hubkit.db import create_pool, migrate_service
from hubkit.kafka import IdempotentConsumer, ensure_topics, make_producer
from hubkit.outbox import OutboxRelay
from hubkit.settings import HubSettings

from tests.hubkit.test_messaging import TOPIC, event

pytestmark = pytest.mark.integration


def docker_available() -> bool:
    try:
        import docker

        docker.from_env().ping()
    except Exception:
        return False
    return True


@pytest.mark.skipif(not docker_available(), reason="no Docker engine on this machine")
async def test_outbox_to_consumer_on_apache_kafka_and_postgres(tmp_path: Path) -> None:
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.community.postgres import PostgresContainer

    with PostgresContainer("postgres:16") as pg, KafkaContainer("apache/kafka:3.9.0").with_kraft() as kafka:
        url = pg.get_connection_url(driver=None)
        bootstrap = kafka.get_bootstrap_server()
        await ensure_topics(bootstrap, [TOPIC], partitions=3)
        (tmp_path / "beta").mkdir()
        (tmp_path / "beta" / "001_seen.sql").write_text("CREATE TABLE seen (event_id uuid);")
        await migrate_service(url, "alpha", tmp_path / "alpha")
        await migrate_service(url, "beta", tmp_path / "beta")
        settings = HubSettings(database_url=url, kafka_bootstrap=bootstrap, kafka_idempotent=True)
        alpha, beta = await create_pool(url, "alpha"), await create_pool(url, "beta")
        producer = make_producer(settings)
        await producer.start()

        async def handler(conn: asyncpg.Connection, env: Envelope) -> None:
            await conn.execute("INSERT INTO seen VALUES ($1)", env.id)

        consumer = IdempotentConsumer(settings=settings, pool=beta, schema="beta",
                                      name=f"docker-{uuid.uuid4().hex[:6]}",
                                      topics=[TOPIC], handler=handler, producer=producer)
        tasks = [asyncio.create_task(OutboxRelay(alpha, "alpha", producer).run()), asyncio.create_task(consumer.run())]
        env = event(7)
        async with alpha.acquire() as conn, conn.transaction():
            await outbox.add(conn, "alpha", env)
        try:
            for _ in range(300):
                if await beta.fetchval("SELECT count(*) FROM seen WHERE event_id = $1", env.id) == 1:
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("event not consumed")
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await producer.stop()
            await alpha.close()
            await beta.close()
