"""A second pytest session on the same machine must not take this session's PostgreSQL away.

Every pytest session makes its temporary root private again (`/tmp/pytest-of-<user>`, chmod 0700). The session's
PostgreSQL runs as another user when the tests run as root (root may not run it), and its data lived under that
root: a fresh-clone CI run lost its server in the middle (PANIC: could not open pg_control: Permission denied,
then every later test refused) because a developer started `pytest tests/unit` beside it. The session's server
now keeps its data outside pytest's tree."""

from __future__ import annotations

import os
import stat

import asyncpg
import pytest


@pytest.mark.integration
@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs PostgreSQL as another user")
async def test_the_session_database_survives_another_session_making_its_temp_root_private(
        pg_server: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    root = tmp_path_factory.getbasetemp().parent  # /tmp/pytest-of-root
    mode = stat.S_IMODE(root.stat().st_mode)
    os.chmod(root, mode & ~0o077)  # what another session's start does
    try:
        for _ in range(3):  # new backends, each opening the data directory's files
            conn = await asyncpg.connect(pg_server)
            try:
                await conn.execute("CREATE TEMP TABLE t AS SELECT 1 AS x; CHECKPOINT")
            finally:
                await conn.close()
    finally:
        os.chmod(root, mode)
