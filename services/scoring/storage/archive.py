"""The event archive: append-only, hash-chained, the auditors' log after Kafka retention.

Row n stores hash_n = SHA-256(hash_{n-1} || envelope bytes); the first row chains
from 32 zero bytes. `verify_chain` recomputes it, so any edited or removed row shows.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import asyncpg

GENESIS = bytes(32)


# One consumed event: (event id, type, unit, occurred_at, topic, partition, offset, envelope bytes).
# A plain tuple: a batch has thousands of them.
Archived = tuple[Any, str, str, datetime, str, int, int, bytes]


def chain(prev: bytes, envelope: bytes) -> bytes:
    return hashlib.sha256(prev + envelope).digest()


async def head(conn: asyncpg.Connection) -> tuple[int, bytes]:
    row = await conn.fetchrow("SELECT position, hash FROM archive ORDER BY position DESC LIMIT 1")
    return (0, GENESIS) if row is None else (int(row["position"]), bytes(row["hash"]))


async def append(conn: asyncpg.Connection, rows: list[Archived]) -> int:
    """Append rows after the current head (caller holds the archive lock); returns the new head."""
    position, prev = await head(conn)
    records = []
    for event_id, type_, unit, occurred_at, topic, partition, offset, envelope in rows:
        position += 1
        digest = chain(prev, envelope)
        records.append((position, event_id, type_, unit, occurred_at, topic, partition, offset, envelope, prev, digest))
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
            ],
        )
    return position


async def lock(conn: asyncpg.Connection) -> None:
    """One appender at a time keeps the chain linear, however many instances run."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('scoring.archive'))")


async def stream(
    pool: asyncpg.Pool, *, after: int = 0, upto: int | None = None, chunk: int = 5000
) -> AsyncIterator[tuple[int, bytes]]:
    """(position, envelope bytes) in archive order."""
    last = after
    while True:
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT position, envelope FROM archive WHERE position > $1 AND ($2::bigint IS NULL OR position <= $2)"
                " ORDER BY position LIMIT $3",
                last,
                upto,
                chunk,
            )
        if not rows:
            return
        for row in rows:
            yield int(row["position"]), bytes(row["envelope"])
        last = int(rows[-1]["position"])


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


async def stream_before(pool: asyncpg.Pool, end: datetime, *, chunk: int = 5000) -> AsyncIterator[bytes]:
    """Envelope bytes of every archived event that happened before `end`, in archive order.

    That is all an auditor needs to score any month ending at `end`: later events cannot change it.
    """
    last = 0
    while True:
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT position, envelope FROM archive WHERE position > $1 AND occurred_at < $2 "
                "ORDER BY position LIMIT $3", last, end, chunk)
        if not rows:
            return
        for row in rows:
            yield bytes(row["envelope"])
        last = int(rows[-1]["position"])


async def stream_upto(pool: asyncpg.Pool, last: int, *, chunk: int = 5000) -> AsyncIterator[bytes]:
    """Envelope bytes of the archived events at positions 1..`last`, in archive order (what the projection
    had folded when it stood at `last`)."""
    position = 0
    while position < last:
        async with pool.acquire() as conn:
            rows = await conn.fetch("SELECT position, envelope FROM archive WHERE position > $1 AND position <= $2 "
                                    "ORDER BY position LIMIT $3", position, last, chunk)
        if not rows:
            return
        for row in rows:
            yield bytes(row["envelope"])
        position = int(rows[-1]["position"])
