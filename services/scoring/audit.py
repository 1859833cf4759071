"""Reading the service's own archive for auditors: export as JSON Lines, or replay it directly."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, BinaryIO

import asyncpg
from hubkit.db import create_pool

from scoring import evidence
from scoring.domain.clock import month_bounds, to_datetime
from scoring.domain.facts.store import KEPT_WHENEVER_MADE
from scoring.domain.ruleset import RULESETS_DIR, parse_ruleset
from scoring.settings import ScoringSettings
from scoring.storage import archive, months


async def _export(settings: ScoringSettings, month: str, out: BinaryIO) -> int:
    _, end = month_bounds(month)
    pool = await create_pool(settings.database_url, "scoring", max_size=2)
    count = 0
    try:
        async for envelope in archive.stream_before(pool, to_datetime(end), KEPT_WHENEVER_MADE):
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
        async for envelope in archive.stream_before(pool, to_datetime(end), KEPT_WHENEVER_MADE):
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


class NotClosed(LookupError):
    pass


def ruleset_file(settings: ScoringSettings) -> Path:
    return Path(settings.ruleset_path) if settings.ruleset_path else RULESETS_DIR / f"{settings.ruleset}.toml"


async def write_evidence(pool: asyncpg.Pool, month: str, ruleset_path: Path, out: IO[bytes],
                         name: str = "evidence.zip") -> dict[str, Any]:
    """The evidence package of a closed month (see evidence.py) into `out`; NotClosed if it is not closed,
    ValueError if the service's ruleset is not the one the month was closed under."""
    async with pool.acquire() as conn:
        row = await months.closed(conn, month)
        if row is None:
            raise NotClosed(f"{month} is not closed")
        results = await months.sealed_results(conn, month)
    text = await asyncio.to_thread(ruleset_path.read_text, encoding="utf-8")
    ruleset = parse_ruleset(text, str(ruleset_path))
    if (ruleset.id, ruleset.version) != (row["ruleset"], row["ruleset_version"]):
        raise ValueError(f"{month} was closed under {row['ruleset']} v{row['ruleset_version']}; the service runs "
                         f"{ruleset.id} v{ruleset.version}, whose file cannot stand for it")
    closed = evidence.ClosedMonth(month, row["ruleset"], row["ruleset_version"], int(row["last_position"]),
                                  row["as_of"], row["sha256"], row["closed_at"], row["closed_by"], results)
    return await evidence.build(closed, archive.stream_upto(pool, closed.last_position),
                                text, out, name)


async def _evidence(settings: ScoringSettings, month: str, out: IO[bytes], name: str) -> dict[str, Any]:
    pool = await create_pool(settings.database_url, "scoring", max_size=2)
    try:
        return await write_evidence(pool, month, ruleset_file(settings), out, name)
    finally:
        await pool.close()


def export_evidence(settings: ScoringSettings, month: str, out: IO[bytes], name: str) -> dict[str, Any]:
    return asyncio.run(_evidence(settings, month, out, name))
