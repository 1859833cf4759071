"""`python -m hubkit.runtime.prepare`: create topics and run every service's migrations, then exit.

Compose runs it once before the services; `hub up` does the same in-process.
"""

from __future__ import annotations

import asyncio

from ..db import migrate_service
from ..kafka import ensure_topics
from ..settings import HubSettings
from .launcher import NAMES, service_migrations


async def prepare(settings: HubSettings) -> None:
    await ensure_topics(settings.kafka_bootstrap, partitions=settings.kafka_partitions)
    for name in NAMES:
        await migrate_service(settings.database_url, name, service_migrations(name))


if __name__ == "__main__":
    asyncio.run(prepare(HubSettings()))
