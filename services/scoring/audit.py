"""Reading the service's own archive for auditors: export as JSON Lines, or replay it directly."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import BinaryIO

from hubkit.db import create_pool

from scoring.domain.clock import month_bounds, to_datetime
from scoring.settings import ScoringSettings
from scoring.storage import archive


async def _export(settings: ScoringSettings, month: str, out: BinaryIO) -> int:
    _, end = month_bounds(month)
    pool = await create_pool(settings.database_url, "scoring", max_size=2)
    count = 0
    try:
        async for envelope in archive.stream_before(pool, to_datetime(end)):
            out.write(envelope.rstrip(b"\n") + b"\n")
            count += 1
    finally:
        await pool.close()
    return count


def export(settings: ScoringSettings, month: str, out: BinaryIO) -> int:
    return asyncio.run(_export(settings, month, out))


async def _archived(settings: ScoringSettings, month: str,
                    progress: Callable[[int], None] | None) -> tuple[bool, int, list[tuple[int, bytes]]]:
    _, end = month_bounds(month)
    pool = await create_pool(settings.database_url, "scoring", max_size=2)
    try:
        intact, checked = await archive.verify_chain(pool)
        lines: list[tuple[int, bytes]] = []
        async for envelope in archive.stream_before(pool, to_datetime(end)):
            lines.append((len(lines) + 1, envelope))
            if progress:
                progress(len(envelope))
    finally:
        await pool.close()
    return intact, checked, lines


def archived_lines(settings: ScoringSettings, month: str,
                   progress: Callable[[int], None] | None = None) -> tuple[bool, int, list[tuple[int, bytes]]]:
    """(chain intact, rows checked, the month's lines) from the archive."""
    return asyncio.run(_archived(settings, month, progress))
