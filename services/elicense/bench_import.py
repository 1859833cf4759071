"""Benchmark: stock import end to end vs the database's own COPY of the same rows, in the same run.

End to end = a JSON Lines file posted to the running service (uvicorn on 127.0.0.1, as
`hub elicense import` does, 20,000 lines per request), each line parsed and checked (license type,
GB 11643 / USCC holder id, dates, keyed hash), chunks COPYed into the library, duplicates skipped,
one `elicense.license-pushed` per license COPYed into the outbox, committed. The reference is asyncpg's
binary COPY of the very same checked rows into a table shaped and indexed like `licenses`, without
parsing, checks, events or HTTP. Also reported: the relay's rate publishing those events to the broker
(in batches of HUB_OUTBOX_BATCH), and the service's resident memory before and at its peak during
the import (the import is streamed: memory holds one chunk).

    python -m benchmarks --only elicense       (make bench)
    python -m elicense.bench_import 200000     (this benchmark alone)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
from contracts.values import make_uscc
from hubkit import outbox
from hubkit.kafka import ensure_topics
from hubkit.testing import fresh_database, kafka_broker, postgres_server, serving, token

from elicense.cli import chunks
from elicense.domain import license_types
from elicense.domain.holders import HolderHasher
from elicense.domain.licenses import check, parse_line
from elicense.stock_gen import lines

LINES_PER_REQUEST = 20_000
Sampler = Callable[[int], contextlib.AbstractAsyncContextManager[Any]]


async def _reference_copy(database_url: str, path: Path, hasher: HolderHasher, issuer: str) -> float:
    """Seconds the database takes to COPY the same rows (checked beforehand, untimed)."""
    from datetime import UTC, datetime

    from hubkit.db import _init_connection

    from elicense.storage.licenses import COLUMNS, record

    types, at = license_types.load(), datetime.now(UTC)
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "elicense,public"})
    await _init_connection(conn)  # the service's JSON codecs: `fields` is a dict, as the service writes it
    try:
        await conn.execute("DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy (LIKE licenses INCLUDING ALL)")
        spent = 0.0
        for _, _, body in chunks(path, LINES_PER_REQUEST):
            rows = [record(check(parse_line(raw), types, hasher), issuer, "stock", at) for raw in body.splitlines()]
            started = time.perf_counter()
            async with conn.transaction():
                await conn.copy_records_to_table("bench_copy", records=rows, columns=COLUMNS)
            spent += time.perf_counter() - started
        await conn.execute("DROP TABLE bench_copy")
        return spent
    finally:
        await conn.close()


async def _measure(n: int, database_url: str, bootstrap: str, sampler: Sampler | None = None) -> dict[str, Any]:
    from elicense.bootstrap import create_app
    from elicense.settings import ElicenseSettings

    issuer = make_uscc("450000", uuid.uuid4().hex[:8].upper())
    types = [t for t in license_types.load().values()][:10]
    with tempfile.TemporaryDirectory(prefix="bench-elicense-") as tmp:
        path = Path(tmp) / "stock.jsonl"
        with path.open("wb") as f:
            for line in lines(issuer, types, n):
                f.write(line + b"\n")
        settings = ElicenseSettings(database_url=database_url, kafka_bootstrap=bootstrap, log_level="WARNING",
                                    blob_dir=str(Path(tmp) / "blobs"), outbox_batch=5000)
        app = create_app(settings)
        process = psutil.Process()
        async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=600, trust_env=False) as client:
            pool = app.state.host.pool
            # Hold the relay back while importing so the import figure is the import alone.
            relay_paused = await _pause_relay(app)
            rss_before = process.memory_info().rss
            peak = rss_before
            stop = asyncio.Event()

            async def watch() -> None:
                nonlocal peak
                while not stop.is_set():
                    peak = max(peak, process.memory_info().rss)
                    await asyncio.sleep(0.05)

            watcher = asyncio.create_task(watch())
            headers = token("operator") | {"Content-Type": "application/x-ndjson"}
            accepted = 0
            started = time.perf_counter()
            # (the service runs in this process: a profile of it is of the import, client and server)
            async with sampler(os.getpid()) if sampler is not None else contextlib.nullcontext() as profile:
                for first, _, body in chunks(path, LINES_PER_REQUEST):
                    r = await client.post("/licenses/import", params={"issuer": issuer, "first_line": first},
                                          content=body, headers=headers)
                    assert r.status_code == 200, r.text
                    accepted += r.json()["accepted"]
            import_s = time.perf_counter() - started
            stop.set()
            await watcher
            assert accepted == n, f"{accepted} of {n} accepted"
            pending = await outbox.pending(pool, "elicense")
            relay_paused.set()
            started = time.perf_counter()
            while await outbox.pending(pool, "elicense"):
                await asyncio.sleep(0.1)
            relay_s = time.perf_counter() - started
        copy_s = await _reference_copy(database_url, path, app.state.library.hasher, issuer)
    e2e, ref = n / import_s, n / copy_s
    return {
        "licenses": n, "import_per_s": round(e2e), "db_copy_per_s": round(ref), "ratio": round(e2e / ref, 3),
        "events_in_outbox": pending, "relay_events_per_s": round(pending / relay_s) if relay_s else None,
        # The service shares the benchmark's process: in a full `make bench` "before" includes what the
        # scoring benchmarks left behind, so the growth is the import's own figure.
        "rss_before_mib": round(rss_before / 2**20), "rss_peak_mib": round(peak / 2**20),
        "rss_growth_mib": round((peak - rss_before) / 2**20),
        **(profile.summary() if profile is not None else {}),
    }


async def _pause_relay(app: Any) -> asyncio.Event:
    """Stop the outbox relay's publishing until the returned event is set (the bench's own switch)."""
    host = app.state.host
    await host.producer_ready.wait()
    relay = host.relay
    assert relay is not None
    resume = asyncio.Event()
    original = relay._publish_lane

    async def gated(urgent: bool) -> int:
        await resume.wait()
        return await original(urgent)

    relay._publish_lane = gated
    return resume


async def run(n: int, database_url: str | None = None, bootstrap: str | None = None,
              sampler: Sampler | None = None) -> dict[str, Any]:
    """`sampler`: what profiles a process (by id) while a block runs (make bench: benchmarks.profiles)."""
    if database_url is not None and bootstrap is not None:
        return await _measure(n, database_url, bootstrap, sampler)
    with tempfile.TemporaryDirectory(prefix="bench-elicense-") as tmp, \
            postgres_server(Path(tmp)) as server, kafka_broker(Path(tmp)) as kafka:
        await ensure_topics(kafka, partitions=3)
        return await _measure(n, await fresh_database(server, "benchlic"), kafka)


if __name__ == "__main__":
    os.environ.setdefault("HUB_LOG_LEVEL", "WARNING")
    print(asyncio.run(run(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)))
