"""`hub reseed`: publish every service's retained outbox rows again, on demand."""

from __future__ import annotations

from .db import check_schema_name, create_pool
from .kafka import make_producer
from .logident import cluster_id
from .relay import OutboxRelay
from .settings import HubSettings


async def reseed_services(
    database_url: str, bootstrap: str, services: list[str], settings: HubSettings
) -> dict[str, int]:
    producer = make_producer(settings.model_copy(update={"kafka_bootstrap": bootstrap}))
    await producer.start()
    counts: dict[str, int] = {}
    try:
        cluster = await cluster_id(producer.client)
        for name in services:
            pool = await create_pool(database_url, check_schema_name(name), max_size=2)
            try:
                counts[name] = await OutboxRelay(pool, name, producer).reseed(cluster, force=True)
            finally:
                await pool.close()
    finally:
        await producer.stop()
    return counts
