"""Live ingest with the projection sharded by unit: the same events through one shard and through two, each
shard a process of its own (as deployed), on the bench's broker and PostgreSQL; topics of the run's own.

    python -m benchmarks.scoring_shards_bench --worker URL BOOTSTRAP PREFIX SHARDS SHARD   (one shard)
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from typing import Any

import asyncpg
from hubkit.kafka import ensure_topics
from hubkit.testing import fresh_database

from benchmarks.scoring_bench import events, publish_prefixed

LIMIT_SECONDS = 900  # a benchmark stops by itself, even when nothing arrives


def topics_of(prefix: str) -> tuple[list[str], str]:
    from scoring.messaging.positions import FACT_TOPICS

    return [t.replace("hub.", f"{prefix}.", 1) for t in FACT_TOPICS], f"{prefix}.scoring.routed.v1"


async def worker(url: str, bootstrap: str, prefix: str, shards: int, shard: int) -> None:
    """One shard: the scoring service with its projector on the run's topics, until its parent stops it."""
    from hubkit.testing import running_app
    from scoring.bootstrap import create_app
    from scoring.settings import ScoringSettings

    app = create_app(ScoringSettings(database_url=url, kafka_bootstrap=bootstrap, shards=shards, shard=shard,
                                     log_level="WARNING", outbox_poll_seconds=0.02, submissions="none",
                                     inventory="none"))
    app.state.projector.topics, app.state.projector.routed_topic = topics_of(prefix)
    async with running_app(app):
        await asyncio.wait_for(app.state.projector.ready.wait(), 120)
        print("ready", flush=True)
        await asyncio.sleep(LIMIT_SECONDS)


async def _folded(url: str) -> tuple[int, int]:
    """(distinct events archived, records still to forward)."""
    conn = await asyncpg.connect(url)
    try:
        return (await conn.fetchval("SELECT count(DISTINCT event_id) FROM scoring.archive"),
                await conn.fetchval("SELECT count(*) FROM scoring.outbox WHERE sent_at IS NULL "
                                    "AND topic LIKE '%.scoring.routed.v1'"))
    finally:
        await conn.close()


async def _run(server_url: str, bootstrap: str, prefix: str, shards: int, n: int) -> float:
    url = await fresh_database(server_url, "benchsh")  # (the shards migrate it under a lock as they start)
    procs = [await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.scoring_shards_bench", "--worker", url, bootstrap, prefix, str(shards),
        str(i), stdout=asyncio.subprocess.PIPE) for i in range(shards)]
    try:
        for proc in procs:  # each prints "ready" once its partitions are assigned (or dies)
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), 120)
            if not line.startswith(b"ready"):
                raise RuntimeError(f"a shard did not start: {line!r}")
        started = time.perf_counter()
        while True:
            archived, unsent = await _folded(url)
            if archived >= n and not unsent:
                return n / (time.perf_counter() - started)
            if time.perf_counter() - started > LIMIT_SECONDS:
                raise RuntimeError(f"{shards} shard(s) folded {archived} of {n} events in {LIMIT_SECONDS} s")
            await asyncio.sleep(0.05)
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.terminate()
        for proc in procs:
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()


async def sharded_ingest(server_url: str, bootstrap: str, n: int) -> dict[str, Any]:
    """Events/s folded, archived and committed by one shard and by two (processes), of the same events."""
    prefix = f"benchsh{uuid.uuid4().hex[:6]}"
    topics, routed = topics_of(prefix)
    await ensure_topics(bootstrap, [*topics, routed], partitions=6)
    lines = events(n)
    await publish_prefixed(bootstrap, prefix, lines)
    one = await _run(server_url, bootstrap, prefix, 1, len(lines))
    two = await _run(server_url, bootstrap, prefix, 2, len(lines))
    return {"events": len(lines), "one_shard_per_s": round(one), "two_shards_per_s": round(two),
            "speedup": round(two / one, 2) if one else None,
            "note": "2 cores shared with PostgreSQL and the broker; shards' commits share the archive lock"}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        url, bootstrap, prefix, shards, shard = sys.argv[2:7]
        asyncio.run(worker(url, bootstrap, prefix, int(shards), int(shard)))
