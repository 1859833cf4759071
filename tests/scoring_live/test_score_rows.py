"""Storing a change that only moved the as-of instant (Change.restamp) updates as_of and position
alone; the scores and ledger tables end up exactly as if every change had been upserted whole."""

from __future__ import annotations

import dataclasses
import json
import random
from typing import Any

import asyncpg
import pytest
from contracts.fastdecode import decode
from hubkit.db import create_pool, migrate_service
from hubkit.testing import fresh_database
from scoring.domain.clock import to_datetime
from scoring.domain.projection import Projection
from scoring.domain.ruleset import builtin_ruleset
from scoring.storage import MIGRATIONS, state

from tests.scoring.eventgen import LogGen

pytestmark = pytest.mark.integration

SCORES = ("SELECT unit, month, ruleset, ruleset_version, x, y, total, band, list, as_of, position, result "
          "FROM scores ORDER BY unit, month")
LEDGER = ("SELECT position, unit, month, x, y, total, band, list, previous_total, as_of, archive_position "
          "FROM score_ledger ORDER BY position")


async def _pool(pg_server: str) -> asyncpg.Pool:
    url = await fresh_database(pg_server)
    await migrate_service(url, "scoring", MIGRATIONS)
    return await create_pool(url, "scoring")


async def _rows(pool: asyncpg.Pool, query: str) -> list[tuple[Any, ...]]:
    async with pool.acquire() as conn:
        return [tuple(r) for r in await conn.fetch(query)]


async def test_restamped_rows_equal_whole_upserts(pg_server: str) -> None:
    rng = random.Random(11)
    events = [decode(json.dumps(e)) for e in LogGen(rng).events(150)]
    events.sort(key=lambda e: e.occurred_at)
    ruleset = builtin_ruleset()
    projection = Projection(ruleset)
    lean, whole = await _pool(pg_server), await _pool(pg_server)
    restamped = 0
    try:
        for position, i in enumerate(range(0, len(events), 4), start=1):
            before = projection.watermark
            changes = projection.refresh(projection.fold(events[i:i + 4]), projection.months_to_sweep(before))
            assert projection.watermark is not None
            as_of = to_datetime(projection.watermark)
            restamped += sum(c.restamp for c in changes)
            for pool, batch in ((lean, changes), (whole, [dataclasses.replace(c, restamp=False) for c in changes])):
                async with pool.acquire() as conn, conn.transaction():
                    await state.save_changes(conn, batch, ruleset=ruleset.id, version=ruleset.version, as_of=as_of,
                                             position=position)
        assert restamped > 40
        assert await _rows(lean, SCORES) == await _rows(whole, SCORES)
        assert await _rows(lean, LEDGER) == await _rows(whole, LEDGER)
        assert len(await _rows(lean, SCORES)) == len(projection.published)
    finally:
        await lean.close()
        await whole.close()
