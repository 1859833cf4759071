"""`python -m hubkit.runtime.prepare`: create topics and run every service's migrations, then exit.

Compose runs it once before the services; `hub up` does the same in-process.
"""

from __future__ import annotations

import asyncio

from ..db import migrate_service
from ..kafka import ensure_topics
from ..settings import HubSettings
from .access import grant_all
from .launcher import NAMES, service_migrations


async def prepare(settings: HubSettings) -> None:
    """As the broker's admin: topics, then (on an authenticated broker) every service's ACLs."""
    await ensure_topics(settings.kafka_bootstrap, partitions=settings.kafka_partitions, settings=settings)
    if settings.kafka_security_protocol != "PLAINTEXT":
        await grant_all(settings)
    for name in NAMES:
        await migrate_service(settings.database_url, name, service_migrations(name))


if __name__ == "__main__":
    asyncio.run(prepare(HubSettings()))
