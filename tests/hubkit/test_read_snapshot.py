"""A read of several statements inside `read_snapshot` sees one state of the database, whatever another
transaction commits between its statements; at the default isolation the second statement would see it."""

from __future__ import annotations

import asyncpg
import pytest
from hubkit.db import read_snapshot

pytestmark = pytest.mark.integration


async def test_a_commit_between_two_statements_is_not_seen_within_one_snapshot(database_url: str) -> None:
    reader, writer = await asyncpg.connect(database_url), await asyncpg.connect(database_url)
    try:
        await writer.execute("CREATE TABLE snapshot_probe (n int)")
        async with read_snapshot(reader):
            before = await reader.fetchval("SELECT count(*) FROM snapshot_probe")
            await writer.execute("INSERT INTO snapshot_probe VALUES (1)")  # committed at once
            assert await reader.fetchval("SELECT count(*) FROM snapshot_probe") == before == 0
            with pytest.raises(asyncpg.ReadOnlySQLTransactionError):  # and it writes nothing
                await reader.execute("INSERT INTO snapshot_probe VALUES (2)")
        assert await reader.fetchval("SELECT count(*) FROM snapshot_probe") == 1
    finally:
        await reader.close()
        await writer.close()
