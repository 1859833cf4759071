"""The event archive: append-only, hash-chained, the auditors' log after Kafka retention.

Row n stores hash_n = SHA-256(hash_{n-1} || envelope bytes); the first row chains
from 32 zero bytes. `verify_chain` recomputes it, so any edited or removed row shows.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Collection
from datetime import datetime
from typing import Any

import asyncpg

GENESIS = bytes(32)


# One consumed event: (event id, type, unit, occurred_at, topic, partition, offset, envelope bytes, the other
# units it moves or None). A plain tuple: a batch has thousands of them.
Archived = tuple[Any, str, str, datetime, str, int, int, bytes, list[str] | None]


def chain(prev: bytes, envelope: bytes) -> bytes:
    return hashlib.sha256(prev + envelope).digest()


async def head(conn: asyncpg.Connection) -> tuple[int, bytes]:
    row = await conn.fetchrow("SELECT position, hash FROM archive ORDER BY position DESC LIMIT 1")
    return (0, GENESIS) if row is None else (int(row["position"]), bytes(row["hash"]))


async def append(conn: asyncpg.Connection, rows: list[Archived], shard: int = 0) -> int:
    """Append a shard's rows after the current head (caller holds the archive lock); returns the new head."""
    position, prev = await head(conn)
    records = []
    for event_id, type_, unit, occurred_at, topic, partition, offset, envelope, about in rows:
        position += 1
        digest = chain(prev, envelope)
        records.append((position, event_id, type_, unit, occurred_at, topic, partition, offset, envelope, prev, digest,
                        shard, about))
        prev = digest
    if records:
        await conn.copy_records_to_table(
            "archive",
            records=records,
            columns=[
                "position",
                "event_id",
                "type",
                "unit",
                "occurred_at",
                "topic",
                "kafka_partition",
                "kafka_offset",
                "envelope",
                "prev_hash",
                "hash",
                "shard",
                "about",
            ],
        )
    return position


async def held_about(conn: asyncpg.Connection, shard: int, unit: str) -> list[tuple[Any, bytes]]:
    """(event id, envelope) of every event a shard archived that is about `unit` (its own or moving it)."""
    rows = await conn.fetch("SELECT event_id, envelope FROM archive WHERE shard = $1 AND unit = $2 UNION "
                            "SELECT event_id, envelope FROM archive WHERE shard = $1 AND about @> ARRAY[$2]",
                            shard, unit)
    return [(r["event_id"], bytes(r["envelope"])) for r in rows]


async def events_touching(pool: asyncpg.Pool, units: list[str]) -> list[bytes]:
    """Every archived event of these units or about them (moving them though it is another unit's), once."""
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT DISTINCT ON (event_id) envelope FROM archive "
                                "WHERE unit = ANY($1::text[]) OR about && $1::text[] ORDER BY event_id, position",
                                units)
    return [bytes(r["envelope"]) for r in rows]


async def head_position(pool: asyncpg.Pool) -> int:
    async with pool.acquire() as conn:
        return int(await conn.fetchval("SELECT coalesce(max(position), 0) FROM archive"))


async def lock(conn: asyncpg.Connection) -> None:
    """One appender at a time keeps the chain linear, however many instances run."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('scoring.archive'))")


async def _windows(pool: asyncpg.Pool, where: str, args: tuple[Any, ...], *, after: int, upto: int | None,
                   span: int) -> AsyncIterator[asyncpg.Record]:
    """Rows (position, envelope) after `after` up to `upto` (else the head at the call) matching `where` (on
    parameters $3...), in archive order, read one window of `span` positions at a time.

    A window is a range of the primary key, so no plan ever sorts more than it, whatever the table's statistics
    say; the chunks were a LIMIT after a filter, which a table written in a burst and not analysed yet had planned
    as every matching row after `last` sorted on disk (tests/scoring_live/test_archive_reads.py). Positions are
    dense and committed in order (the archive lock), so the head read first bounds every row there is then."""
    low = after
    if upto is None:
        upto = await head_position(pool)
    while low < upto:
        async with pool.acquire() as conn:
            rows = await conn.fetch(f"SELECT position, envelope FROM archive WHERE position > $1 AND position <= $2"
                                    f"{where} ORDER BY position", low, min(low + span, upto), *args)
        for row in rows:
            yield row
        low += span


async def stream(
    pool: asyncpg.Pool, *, after: int = 0, upto: int | None = None, chunk: int = 5000, shard: int | None = None
) -> AsyncIterator[tuple[int, bytes]]:
    """(position, envelope bytes) in archive order, up to `upto` or the head at the call; of one shard's rows
    when `shard` is given."""
    where, args = ("", ()) if shard is None else (" AND shard = $3", (shard,))
    async for row in _windows(pool, where, args, after=after, upto=upto, span=chunk):
        yield int(row["position"]), bytes(row["envelope"])


async def verify_chain(pool: asyncpg.Pool) -> tuple[bool, int]:
    """(intact, rows checked); stops at the first row whose hash does not follow."""
    prev, checked, expected = GENESIS, 0, 1
    async with pool.acquire() as conn, conn.transaction():
        async for row in conn.cursor("SELECT position, envelope, prev_hash, hash FROM archive ORDER BY position"):
            if (
                int(row["position"]) != expected
                or bytes(row["prev_hash"]) != prev
                or chain(prev, bytes(row["envelope"])) != bytes(row["hash"])
            ):
                return False, checked
            prev, checked, expected = bytes(row["hash"]), checked + 1, expected + 1
    return True, checked


async def stream_before(pool: asyncpg.Pool, end: datetime, timeless: Collection[str] = (), *,
                        chunk: int = 5000) -> AsyncIterator[bytes]:
    """Envelope bytes of every archived event (up to the head at the call) that happened before `end`, and of every
    event whose type is in `timeless` whenever it happened, in archive order.

    That is all an auditor needs to score any month ending at `end`: later events cannot change it, except those
    that hold in every month (a re-registration, a retraction: the caller names them).
    """
    async for row in _windows(pool, " AND (occurred_at < $3 OR type = ANY($4))", (end, list(timeless)), after=0,
                              upto=None, span=chunk):
        yield bytes(row["envelope"])


async def stream_upto(pool: asyncpg.Pool, last: int, *, chunk: int = 5000) -> AsyncIterator[bytes]:
    """Envelope bytes of the archived events at positions 1..`last`, in archive order (what the projection
    had folded when it stood at `last`)."""
    async for row in _windows(pool, "", (), after=0, upto=last, span=chunk):
        yield bytes(row["envelope"])
