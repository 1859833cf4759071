"""Fixtures of the scoring service's tests on a real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from hubkit.db import create_pool, migrate_service
from hubkit.testing import fresh_database
from scoring.storage import MIGRATIONS


@pytest.fixture
async def scoring_pool(pg_server: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a fresh database migrated for the scoring service (its tables, no rows)."""
    url = await fresh_database(pg_server)
    await migrate_service(url, "scoring", MIGRATIONS)
    pool = await create_pool(url, "scoring")
    try:
        yield pool
    finally:
        await pool.close()
