"""The same outbox → broker → consumer path on Apache Kafka and PostgreSQL containers, where Docker exists.

These machines have no Docker engine: the test is skipped there, with the reason, and the
embedded servers cover the path in test_messaging.py.
"""

import asyncio
from pathlib import Path

import pytest
from hubkit import outbox
from hubkit.kafka import ensure_topics
from hubkit.settings import HubSettings

from tests.hubkit.test_messaging import TOPIC, alpha_to_beta, event

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
        settings = HubSettings(database_url=url, kafka_bootstrap=bootstrap, kafka_idempotent=True)
        async with alpha_to_beta(settings, tmp_path) as wired:
            env = event(7)
            async with wired.alpha.acquire() as conn, conn.transaction():
                await outbox.add(conn, "alpha", env)
            for _ in range(300):
                if await wired.beta.fetchval("SELECT count(*) FROM seen WHERE event_id = $1", env.id) == 1:
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("event not consumed")
