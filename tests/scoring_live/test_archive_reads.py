"""Reading the archive never sorts what it has not been asked for.

The readers took the archive in chunks of `... WHERE position > $last AND <filter> ORDER BY position LIMIT n`. On a
table written in a burst and not yet analysed (a restart or a standby's first look right after a busy hour), the
planner, guessing that few rows match the filter (a shard's, those before a month's end), read every matching row
after `last` by bitmap and sorted them on disk to keep 5,000: a rebuild's first chunks took 0.2-0.7 s each instead
of ~7 ms (1.3 s of a 4.5 s rebuild of 200,000 events). A server that allows no temporary file shows it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from hubkit.db import migrate_service
from hubkit.testing import fresh_database
from scoring.storage import MIGRATIONS, archive

pytestmark = pytest.mark.integration
ROWS = 40_000  # two shards' rows, ~12 MB of envelopes: more than the server sorts in memory (work_mem 4 MB)
START = datetime(2019, 8, 1, tzinfo=UTC)


def row(n: int) -> archive.Archived:
    at = START + timedelta(minutes=n)
    return (uuid.uuid4(), "exchange.call-failed", f"unit-{n % 7}", at, "hub.exchange.call-failed.v1", 0, n,
            b'{"n": %d, "pad": "%s"}' % (n, b"x" * 280), None)


async def written(pg_server: str) -> str:
    url = await fresh_database(pg_server)
    await migrate_service(url, "scoring", MIGRATIONS)
    conn = await asyncpg.connect(url, server_settings={"search_path": "scoring"})
    try:
        await conn.execute("ALTER TABLE archive SET (autovacuum_enabled = false)")  # no statistics, as after a burst
        for shard in (0, 1):
            async with conn.transaction():
                await archive.append(conn, [row(n) for n in range(shard, ROWS, 2)], shard)
    finally:
        await conn.close()
    return url


async def test_reading_a_shard_or_a_month_sorts_nothing_on_disk(pg_server: str) -> None:
    url = await written(pg_server)
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2,
                                     server_settings={"search_path": "scoring", "temp_file_limit": "0"})
    try:
        shard = [position async for position, _ in archive.stream(pool, shard=1)]
        assert len(shard) == ROWS // 2 and shard == sorted(shard)
        assert [p async for p, _ in archive.stream(pool, shard=1, after=ROWS // 2 + 3, upto=ROWS // 2 + 9)] == [
            ROWS // 2 + 4, ROWS // 2 + 5, ROWS // 2 + 6, ROWS // 2 + 7, ROWS // 2 + 8, ROWS // 2 + 9]
        end = START + timedelta(minutes=ROWS // 4)  # a quarter of each shard's rows happened before it
        before = [raw async for raw in archive.stream_before(pool, end)]
        assert len(before) == ROWS // 4
        assert [raw async for raw in archive.stream_upto(pool, 10)] == [
            raw async for _, raw in archive.stream(pool, upto=10)]
    finally:
        await pool.close()
