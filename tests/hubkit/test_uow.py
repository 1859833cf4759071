"""The unit of work on PostgreSQL (#15): what a use case writes and the events it decided reach the
database and the outbox together at commit, or not at all; a failed savepoint takes its own writes
and events with it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from contracts import encode
from contracts.catalog import ResourceUpdated
from contracts.values import build_resource_code, make_uscc
from hubkit import outbox
from hubkit.db import create_pool, migrate_service
from hubkit.telemetry import current_trace_headers, tracer
from hubkit.testing import memory_spans
from hubkit.uow import AsyncpgUnitOfWork

pytestmark = pytest.mark.integration
UNIT = make_uscc("450000", "MB151900")
AT = datetime(2019, 8, 1, tzinfo=UTC)


class ThingsUnitOfWork(AsyncpgUnitOfWork):
    async def add(self, name: str) -> None:
        await self.conn.execute("INSERT INTO things (name) VALUES ($1)", name)
        self.emit(ResourceUpdated(resource_code=build_resource_code("450000", UNIT, 1), records=len(name)),
                  unit=UNIT, at=AT)


async def state(pool: asyncpg.Pool) -> tuple[list[str], int]:
    names = [r["name"] for r in await pool.fetch("SELECT name FROM things ORDER BY name")]
    return names, int(await pool.fetchval("SELECT count(*) FROM outbox"))


async def test_commit_writes_state_and_events_together_and_nothing_without_it(database_url: str,
                                                                               tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "001_things.sql").write_text("CREATE TABLE things (name text PRIMARY KEY);")
    await migrate_service(database_url, "uowtest", tmp_path / "m")
    pool = await create_pool(database_url, "uowtest")
    try:
        async with ThingsUnitOfWork(pool, "uowtest") as uow:
            await uow.add("a")
            await uow.commit()
        assert await state(pool) == (["a"], 1)

        with pytest.raises(RuntimeError):
            async with ThingsUnitOfWork(pool, "uowtest") as uow:
                await uow.add("b")
                raise RuntimeError("refused half-way")
        async with ThingsUnitOfWork(pool, "uowtest") as uow:
            await uow.add("c")  # left without commit: nothing happened
        assert await state(pool) == (["a"], 1)

        async with ThingsUnitOfWork(pool, "uowtest") as uow:
            await uow.add("d")
            with pytest.raises(asyncpg.UniqueViolationError):
                async with uow.savepoint():
                    await uow.add("e")
                    await uow.add("a")  # a row that fails on its own
            await uow.add("f")
            assert len(uow.events) == 2
            await uow.commit()
        assert await state(pool) == (["a", "d", "f"], 3)
        assert pool.get_size() - pool.get_idle_size() == 0  # every connection went back
    finally:
        await pool.close()


@pytest.mark.parametrize("names", [3, outbox.COPY_FROM + 36])  # a statement per row, and one COPY for many
async def test_the_outbox_holds_each_event_encoded_in_the_order_emitted_with_the_trace_it_was_emitted_in(
        database_url: str, tmp_path: Path, names: int) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "001_things.sql").write_text("CREATE TABLE things (name text PRIMARY KEY);")
    schema = f"uowmany{names}"
    await migrate_service(database_url, schema, tmp_path / "m")
    pool = await create_pool(database_url, schema)
    memory_spans()
    try:
        with tracer("test").start_as_current_span("a use case"):
            async with ThingsUnitOfWork(pool, schema) as uow:
                for n in range(names):
                    await uow.add(f"{n:04d}")
                emitted = list(uow.events)
                carried = current_trace_headers()
                await uow.commit()
        rows = await pool.fetch("SELECT event_id, topic, key, payload, headers FROM outbox ORDER BY seq")
        assert [(r["event_id"], r["topic"], bytes(r["key"]), bytes(r["payload"])) for r in rows] == [
            (e.id, e.topic, e.unit.encode(), encode(e)) for e in emitted]
        assert "traceparent" in carried and all(r["headers"] == carried for r in rows)
    finally:
        await pool.close()
