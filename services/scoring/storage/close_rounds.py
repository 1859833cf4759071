"""A sharded month close's rounds and each shard's part of them (migration 019; messaging/close_rounds.py)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg

CHANNEL = "scoring_close_round"  # NOTIFY: a round opened or its state moved
_ONE_CLOSE = 0x5C0F  # the advisory lock a closer holds for its rounds: one close at a time


@dataclass(frozen=True, slots=True)
class Round:
    id: uuid.UUID
    month: str
    as_of: int
    seconds: float  # left before its deadline


@dataclass(frozen=True, slots=True)
class Settled:
    """What the database says of all shards at one instant, while each is held still."""

    head: int  # the archive's last position
    offsets: dict[tuple[int, str, int], int]  # (shard, topic, partition) -> next offset committed
    unsent: int  # records still in the outbox for another shard


@asynccontextmanager
async def alone(pool: asyncpg.Pool, seconds: float) -> AsyncIterator[bool]:
    """Inside (True), no other instance runs rounds: two closes at once could each hold some shards still and wait
    for the others (each shard takes part in one round at a time). False when another close lasted `seconds`."""
    async with pool.acquire() as conn:
        deadline = time.monotonic() + seconds
        while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", _ONE_CLOSE):
            if time.monotonic() >= deadline:
                yield False
                return
            await asyncio.sleep(0.05)
        try:
            yield True
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _ONE_CLOSE)


async def open_round(pool: asyncpg.Pool, month: str, as_of: int, seconds: float) -> uuid.UUID:
    round_id = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM close_rounds WHERE deadline < now() - interval '1 hour'")  # closers gone
        await conn.execute("INSERT INTO close_rounds (round, month, as_of, deadline) "
                           "VALUES ($1, $2, $3, now() + make_interval(secs => $4))", round_id, month, as_of, seconds)
        await conn.execute("SELECT pg_notify($1, '')", CHANNEL)
    return round_id


async def set_state(pool: asyncpg.Pool, round_id: uuid.UUID, state: str) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("UPDATE close_rounds SET state = $2 WHERE round = $1", round_id, state)
        await conn.execute("SELECT pg_notify($1, '')", CHANNEL)


async def drop(pool: asyncpg.Pool, round_id: uuid.UUID) -> None:
    async with pool.acquire() as conn:
        await conn.execute("DELETE FROM close_rounds WHERE round = $1", round_id)


async def waiting_for(pool: asyncpg.Pool, shard: int) -> list[Round]:
    """Rounds still holding, before their deadline, that this shard has not joined."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT round, month, as_of, extract(epoch FROM deadline - now())::float8 AS seconds "
            "FROM close_rounds r WHERE state = 'holding' AND deadline > now() "
            "AND NOT EXISTS (SELECT 1 FROM close_parts p WHERE p.round = r.round AND p.shard = $1) ORDER BY deadline",
            shard)
    return [Round(r["round"], r["month"], int(r["as_of"]), float(r["seconds"])) for r in rows]


async def state_of(pool: asyncpg.Pool, round_id: uuid.UUID) -> str | None:
    async with pool.acquire() as conn:
        found: str | None = await conn.fetchval("SELECT state FROM close_rounds WHERE round = $1", round_id)
    return found


async def join(pool: asyncpg.Pool, round_id: uuid.UUID, shard: int, *, busy: bool = False) -> None:
    """The shard is held still for the round (or, `busy`, could not be)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("INSERT INTO close_parts (round, shard, busy) SELECT $1, $2, $3 "
                           "WHERE EXISTS (SELECT 1 FROM close_rounds WHERE round = $1) ON CONFLICT DO NOTHING",
                           round_id, shard, busy)
        await conn.execute("SELECT pg_notify($1, '')", CHANNEL)


async def hand_in(pool: asyncpg.Pool, round_id: uuid.UUID, shard: int, results: bytes) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("UPDATE close_parts SET results = $3 WHERE round = $1 AND shard = $2",
                           round_id, shard, results)
        await conn.execute("SELECT pg_notify($1, '')", CHANNEL)


async def parts(pool: asyncpg.Pool, round_id: uuid.UUID) -> list[tuple[int, bool, bytes | None]]:
    """(shard, busy, results) of every shard that joined."""
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT shard, busy, results FROM close_parts WHERE round = $1 ORDER BY shard",
                                round_id)
    return [(int(r["shard"]), bool(r["busy"]), None if r["results"] is None else bytes(r["results"])) for r in rows]


async def settled(pool: asyncpg.Pool, routed_topic: str) -> Settled:
    """The archive's head, every shard's offsets and the unsent routed records, in one snapshot."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        head = int(await conn.fetchval("SELECT coalesce(max(position), 0) FROM archive"))
        rows = await conn.fetch("SELECT shard, topic, kafka_partition, next_offset FROM offsets")
        unsent = int(await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND topic = $1",
                                         routed_topic))
    offsets = {(int(r["shard"]), r["topic"], int(r["kafka_partition"])): int(r["next_offset"]) for r in rows}
    return Settled(head, offsets, unsent)
