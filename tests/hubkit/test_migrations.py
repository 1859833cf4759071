from pathlib import Path

import asyncpg
import pytest
from hubkit.db import PLATFORM_MIGRATIONS, MigrationError, migrate, migrate_service


async def test_migrations_apply_once_and_in_order(database_url: str, tmp_path: Path) -> None:
    (tmp_path / "001_first.sql").write_text("CREATE TABLE thing (id int PRIMARY KEY);")
    (tmp_path / "002_second.sql").write_text("ALTER TABLE thing ADD COLUMN name text;")
    applied = await migrate_service(database_url, "demo", tmp_path)
    platform = sorted(f"platform/{p.name}" for p in PLATFORM_MIGRATIONS.glob("*.sql"))
    assert platform[:4] == ["platform/001_outbox_inbox.sql", "platform/002_relay_state.sql",
                            "platform/003_redrives.sql", "platform/004_audit.sql"]
    assert applied == [*platform, "demo/001_first.sql", "demo/002_second.sql"]
    assert await migrate_service(database_url, "demo", tmp_path) == []
    conn = await asyncpg.connect(database_url)
    try:
        cols = await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_schema='demo' AND table_name='thing'"
        )
        assert {c["column_name"] for c in cols} == {"id", "name"}
        assert await conn.fetchval("SELECT count(*) FROM demo.outbox") == 0
    finally:
        await conn.close()


async def test_a_changed_applied_migration_is_an_error(database_url: str, tmp_path: Path) -> None:
    (tmp_path / "001_first.sql").write_text("CREATE TABLE thing (id int);")
    await migrate_service(database_url, "demo", tmp_path)
    (tmp_path / "001_first.sql").write_text("CREATE TABLE thing (id bigint);")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        await migrate_service(database_url, "demo", tmp_path)


async def test_badly_named_migration_is_refused(database_url: str, tmp_path: Path) -> None:
    (tmp_path / "first.sql").write_text("SELECT 1;")
    conn = await asyncpg.connect(database_url)
    try:
        with pytest.raises(MigrationError, match="NNN_snake_case"):
            await migrate(conn, "demo", [("demo", tmp_path)])
    finally:
        await conn.close()
