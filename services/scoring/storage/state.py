"""Offsets, watermark and published scores: written in the same transaction as the archive rows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import asyncpg
import orjson
from hubkit.logident import StoredPosition

from scoring.domain.clock import Instant, to_datetime, to_instant
from scoring.domain.projection import Change
from scoring.domain.result import UnitResult


async def load_offsets(conn: asyncpg.Connection, shard: int = 0) -> dict[tuple[str, int], StoredPosition]:
    rows = await conn.fetch("SELECT topic, kafka_partition, next_offset, cluster_id, last_digest FROM offsets "
                            "WHERE shard = $1", shard)
    return {(r["topic"], r["kafka_partition"]): StoredPosition(
        int(r["next_offset"]), r["cluster_id"], bytes(r["last_digest"]) if r["last_digest"] else None) for r in rows}


async def save_offsets(conn: asyncpg.Connection, offsets: dict[tuple[str, int], StoredPosition],
                       shard: int = 0) -> None:
    await conn.executemany(
        "INSERT INTO offsets (shard, topic, kafka_partition, next_offset, cluster_id, last_digest) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (shard, topic, kafka_partition) DO UPDATE SET "
        "next_offset = excluded.next_offset, cluster_id = excluded.cluster_id, last_digest = excluded.last_digest",
        [(shard, t, p, o.next_offset, o.cluster_id, o.last_digest) for (t, p), o in offsets.items()],
    )


async def load_watermark(conn: asyncpg.Connection) -> datetime | None:
    """The latest event time any shard has folded."""
    value = await conn.fetchval("SELECT max(watermark) FROM projection_state")
    return value


async def frame(conn: asyncpg.Connection) -> tuple[Instant | None, Instant | None]:
    """(watermark, earliest) over every shard's committed state: the time frame all of them score in."""
    row = await conn.fetchrow("SELECT max(watermark) AS wm, min(earliest) AS earliest FROM projection_state")
    if row is None:
        return None, None
    return (to_instant(row["wm"]) if row["wm"] is not None else None,
            to_instant(row["earliest"]) if row["earliest"] is not None else None)


async def behind_everywhere(conn: asyncpg.Connection, ends: Mapping[Any, int], plan: Any) -> int:
    """Sharded: events up to `ends` (TopicPartition -> end offset) some shard has not committed yet, plus
    the records still waiting in the outbox to go to another shard."""
    rows = await conn.fetch("SELECT shard, topic, kafka_partition, next_offset FROM offsets")
    stored = {(r["shard"], r["topic"], r["kafka_partition"]): int(r["next_offset"]) for r in rows}
    behind = 0
    for tp, end in ends.items():
        for shard in range(plan.count):
            if plan.reads_as(shard, tp.topic, tp.partition):
                behind += max(0, end - stored.get((shard, tp.topic, tp.partition), 0))
    unsent = await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND topic = $1",
                                 plan.routed_topic)
    return behind + int(unsent)


async def shard_counts(conn: asyncpg.Connection) -> set[int]:
    """The shard counts the stored states were written under (one, unless the count changed)."""
    return {int(r["shards"]) for r in await conn.fetch("SELECT DISTINCT shards FROM projection_state")}


async def save_state(
    conn: asyncpg.Connection, *, watermark: int | None, position: int, ruleset: str, version: int,
    shard: int = 0, shards: int = 1, earliest: int | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO projection_state (shard, shards, watermark, earliest, last_position, ruleset, ruleset_version) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (shard) DO UPDATE SET shards = excluded.shards, "
        "watermark = excluded.watermark, earliest = excluded.earliest, "
        "last_position = excluded.last_position, ruleset = excluded.ruleset, "
        "ruleset_version = excluded.ruleset_version",
        shard,
        shards,
        to_datetime(watermark) if watermark is not None else None,
        to_datetime(earliest) if earliest is not None else None,
        position,
        ruleset,
        version,
    )


async def save_changes(
    conn: asyncpg.Connection, changes: list[Change], *, ruleset: str, version: int, as_of: datetime, position: int
) -> None:
    """Upsert every changed result; ledger rows only where the published numbers moved.

    A change that only moved the as-of instant of a row known to hold the same result
    (Change.restamp) updates as_of and position alone: the row ends up the same.
    """
    if not changes:
        return
    full = [c for c in changes if not c.restamp]
    if full:
        await conn.execute(
            "INSERT INTO scores (unit, month, ruleset, ruleset_version, x, y, total, band, list, as_of, position,"
            " result) SELECT v.unit, v.month, $3, $4, v.x, v.y, v.total, v.band, v.list, $5, $6, v.result::jsonb"
            " FROM unnest($1::text[], $2::text[], $7::numeric[], $8::numeric[], $9::numeric[], $10::text[],"
            " $11::text[], $12::text[]) AS v(unit, month, x, y, total, band, list, result)"
            " ON CONFLICT (unit, month) DO UPDATE SET "
            "ruleset = excluded.ruleset, ruleset_version = excluded.ruleset_version, x = excluded.x, y = excluded.y, "
            "total = excluded.total, band = excluded.band, list = excluded.list, as_of = excluded.as_of, "
            "position = excluded.position, result = excluded.result, updated_at = now()",
            [c.unit for c in full],
            [c.month for c in full],
            ruleset,
            version,
            as_of,
            position,
            [c.after.x for c in full],
            [c.after.y for c in full],
            [c.after.total for c in full],
            [c.after.band for c in full],
            [c.after.listing for c in full],
            [_canonical(c).decode() for c in full],
        )
    restamped = [c for c in changes if c.restamp]
    if restamped:
        await conn.execute(
            "UPDATE scores SET as_of = $1, position = $2, updated_at = now() FROM unnest($3::text[], $4::text[])"
            " AS k(unit, month) WHERE scores.unit = k.unit AND scores.month = k.month",
            as_of,
            position,
            [c.unit for c in restamped],
            [c.month for c in restamped],
        )
    moved = [c for c in changes if c.score_moved]
    if moved:
        await conn.copy_records_to_table(
            "score_ledger",
            columns=["unit", "month", "x", "y", "total", "band", "list", "previous_total", "as_of", "archive_position"],
            records=[
                (
                    c.unit,
                    c.month,
                    c.after.x,
                    c.after.y,
                    c.after.total,
                    c.after.band,
                    c.after.listing,
                    c.before.total if c.before else None,
                    as_of,
                    position,
                )
                for c in moved
            ],
        )


async def remove_scores(conn: asyncpg.Connection, keys: set[tuple[str, str]]) -> None:
    """Withdraw the results of unit-months no longer scored (the unit is exempt from the checks)."""
    if keys:
        await conn.execute("DELETE FROM scores USING unnest($1::text[], $2::text[]) AS k(unit, month) "
                           "WHERE scores.unit = k.unit AND scores.month = k.month",
                           [u for u, _ in keys], [m for _, m in keys])


def _canonical(change: Change) -> bytes:
    return orjson.dumps(change.after.canonical())


async def published_rows(conn: asyncpg.Connection) -> dict[tuple[str, str], UnitResult]:
    """Every stored unit-month result, as it was stored (its canonical form, its as-of instant)."""
    rows = await conn.fetch("SELECT unit, month, ruleset, ruleset_version, as_of, result FROM scores")
    return {(r["unit"], r["month"]): UnitResult.from_canonical(
        r["result"] if isinstance(r["result"], dict) else orjson.loads(r["result"]), r["month"],
        to_instant(r["as_of"]), r["ruleset"], r["ruleset_version"]) for r in rows}


async def all_offsets(conn: asyncpg.Connection) -> dict[tuple[int, str, int], StoredPosition]:
    """Every shard's stored offsets: (shard, topic, partition) -> position."""
    rows = await conn.fetch("SELECT shard, topic, kafka_partition, next_offset, cluster_id, last_digest FROM offsets")
    return {(int(r["shard"]), r["topic"], int(r["kafka_partition"])): StoredPosition(
        int(r["next_offset"]), r["cluster_id"], bytes(r["last_digest"]) if r["last_digest"] else None) for r in rows}


async def reshard(conn: asyncpg.Connection, offsets: dict[tuple[int, str, int], StoredPosition], *,
                  from_count: int, count: int, head: int) -> None:
    """The stored state of `count` shards instead of `from_count` (caller holds every shard and the archive lock,
    in a transaction): their offsets, their states in the time frame all had reached, no activity parts (each
    shard writes its own at start), and the archive position memory is folded whole up to."""
    ruleset = await conn.fetchrow("SELECT ruleset, ruleset_version FROM projection_state LIMIT 1")
    watermark, earliest = await frame(conn)
    await conn.execute("DELETE FROM offsets")
    await conn.executemany(
        "INSERT INTO offsets (shard, topic, kafka_partition, next_offset, cluster_id, last_digest) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        [(s, t, p, o.next_offset, o.cluster_id, o.last_digest) for (s, t, p), o in offsets.items()])
    await conn.execute("DELETE FROM projection_state")
    for shard in range(count):
        await save_state(conn, watermark=watermark, position=head, ruleset=ruleset["ruleset"],
                         version=ruleset["ruleset_version"], shard=shard, shards=count, earliest=earliest)
    await conn.execute("DELETE FROM shard_activity")
    await conn.execute("INSERT INTO reshards (position, from_shards, to_shards) VALUES ($1, $2, $3)",
                       head, from_count, count)


async def resharded_at(conn: asyncpg.Connection) -> int:
    """The archive position up to which every shard folds every row (0: the count never changed)."""
    return int(await conn.fetchval("SELECT coalesce(max(position), 0) FROM reshards"))
