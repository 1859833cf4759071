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
CLOSED = "2019-07"  # the events are of August: July has ended in event time, its units are scored


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
        # A line "close MONTH" on stdin: score the month as its close does (every shard held still at once,
        # each scoring its units from memory) and print the seconds it took and the seal.
        reader = asyncio.StreamReader()
        await asyncio.get_running_loop().connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        async with asyncio.timeout(LIMIT_SECONDS):
            while line := await reader.readline():
                print(await _close(app, line.decode().split()[1]), flush=True)


async def _close(app: Any, month: str) -> str:
    from scoring.domain.clock import month_bounds
    from scoring.views import LiveView

    view = LiveView(app.state.projector, app.state.ruleset, app.state.host.pool)
    started = time.perf_counter()
    evaluated = await view.evaluate(month, month_bounds(month)[1], wait=60)
    seconds = time.perf_counter() - started
    if evaluated is None:
        return "busy"
    result, position = evaluated
    return f"{seconds:.4f} {position} {result.sha256()} {len(result.units)}"


async def _replayed_close(url: str, month: str, upto: int) -> tuple[float, str]:
    """The close as it was before the shards were held still: the month replayed from the archive up to the
    seal's position (seconds, seal)."""
    from scoring.domain.ruleset import builtin_ruleset
    from scoring.replay import replay
    from scoring.storage import archive

    ruleset = builtin_ruleset()
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2, server_settings={"search_path": "scoring"})
    try:
        started = time.perf_counter()
        lines = [raw async for raw in archive.stream_upto(pool, upto)]
        sha = replay(enumerate(lines, 1), ruleset, month).result.sha256()
        return time.perf_counter() - started, sha
    finally:
        await pool.close()


async def _folded(url: str) -> tuple[int, int]:
    """(distinct events archived, records still to forward)."""
    conn = await asyncpg.connect(url)
    try:
        return (await conn.fetchval("SELECT count(DISTINCT event_id) FROM scoring.archive"),
                await conn.fetchval("SELECT count(*) FROM scoring.outbox WHERE sent_at IS NULL "
                                    "AND topic LIKE '%.scoring.routed.v1'"))
    finally:
        await conn.close()


async def _run(server_url: str, bootstrap: str, prefix: str, shards: int, n: int,
               close: str | None = None) -> tuple[float, dict[str, Any]]:
    """Events/s; with `close`, that month's close by shard 0 once all is folded, timed against replaying it."""
    url = await fresh_database(server_url, "benchsh")  # (the shards migrate it under a lock as they start)
    procs = [await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.scoring_shards_bench", "--worker", url, bootstrap, prefix, str(shards),
        str(i), stdout=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.PIPE) for i in range(shards)]
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
                rate = n / (time.perf_counter() - started)
                return rate, (await _timed_close(procs[0], url, close) if close else {})
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


async def _timed_close(proc: Any, url: str, month: str) -> dict[str, Any]:
    proc.stdin.write(f"close {month}\n".encode())
    await proc.stdin.drain()
    answer = (await asyncio.wait_for(proc.stdout.readline(), 120)).decode().split()
    if answer[:1] == ["busy"]:
        raise RuntimeError("the shards did not hold still for the close")
    seconds, position, sha, units = float(answer[0]), int(answer[1]), answer[2], int(answer[3])
    replayed, replayed_sha = await _replayed_close(url, month, position)
    if replayed_sha != sha:
        raise RuntimeError(f"the close from memory sealed {sha}, the archive's replay up to {position} {replayed_sha}")
    return {"month": month, "units": units, "from_memory_s": round(seconds, 3), "replaying_s": round(replayed, 3),
            "ratio": round(replayed / seconds, 1) if seconds else None}


async def sharded_ingest(server_url: str, bootstrap: str, n: int) -> dict[str, Any]:
    """Events/s folded, archived and committed by one shard and by two (processes), of the same events."""
    prefix = f"benchsh{uuid.uuid4().hex[:6]}"
    topics, routed = topics_of(prefix)
    await ensure_topics(bootstrap, [*topics, routed], partitions=6)
    lines = events(n)
    await publish_prefixed(bootstrap, prefix, lines)
    one, _ = await _run(server_url, bootstrap, prefix, 1, len(lines))
    two, closed = await _run(server_url, bootstrap, prefix, 2, len(lines), close=CLOSED)
    return {"events": len(lines), "one_shard_per_s": round(one), "two_shards_per_s": round(two),
            "speedup": round(two / one, 2) if one else None, "close_two_shards": closed,
            "note": "2 cores shared with PostgreSQL and the broker; shards' commits share the archive lock"}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        url, bootstrap, prefix, shards, shard = sys.argv[2:7]
        asyncio.run(worker(url, bootstrap, prefix, int(shards), int(shard)))
