"""Session-wide real servers: embedded PostgreSQL and the Tansu broker, started once per run."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hubkit.kafka import ensure_topics
from hubkit.testing import fresh_database, kafka_broker, postgres_server, server_workdir
from hypothesis import settings

# On a developer's machine the property tests draw new examples each run (and keep what fails in .hypothesis/);
# in CI they draw the same ones every run, so a gate's verdict is about the change, not about the draw.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    # Outside pytest's tree: another pytest session on the machine would make it unreadable to the server.
    with server_workdir("pg") as workdir, postgres_server(workdir) as url:
        yield url


@pytest.fixture(scope="session")
async def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    with kafka_broker(Path(tmp_path_factory.mktemp("kafka"))) as bootstrap:
        await ensure_topics(bootstrap, partitions=3)
        yield bootstrap


@pytest.fixture
async def database_url(pg_server: str) -> str:
    """An empty database of its own for each test."""
    return await fresh_database(pg_server)
