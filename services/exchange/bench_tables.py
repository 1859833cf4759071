"""Benchmark: table exchange end to end vs the database's own COPY of the same rows, in the same run.

End to end = JSON Lines batches posted to the running exchange (uvicorn on 127.0.0.1, `BATCH_ROWS` rows per
request) by the resource's provider: each row parsed and checked against the information items (types,
lengths, required and key items), its key checked against the stored table, the changes COPYed in cursor
order, the stored table written, the quality report and `exchange.table-batch-accepted` recorded, committed.
The reference is asyncpg's binary COPY of the very same canonical rows into tables shaped and indexed like
`table_changes` and `table_rows`, without parsing, checks, events or HTTP. Also reported: the check alone
(the pure domain function, in process) in rows per second.

    python -m benchmarks --only exchange        (make bench)
    python -m exchange.bench_tables 200000      (this benchmark alone)
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from contracts.values import build_resource_code, make_uscc
from hubkit.kafka import ensure_topics
from hubkit.testing import fresh_database, kafka_broker, postgres_server, serving, token

from exchange.domain import tables
from exchange.storage import repo

BATCH_ROWS = 10_000
ITEMS: list[dict[str, Any]] = [
    {"name": "统一社会信用代码", "type": "string", "length": 18, "key": True},
         {"name": "企业名称", "type": "string", "length": 100, "required": True},
         {"name": "注册资本", "type": "decimal", "length": 16},
         {"name": "成立日期", "type": "date"},
         {"name": "从业人数", "type": "integer", "length": 7},
         {"name": "经营状态", "type": "string", "length": 10}]


def batches(n: int) -> list[bytes]:
    out, lines = [], []
    for i in range(n):
        row = {"统一社会信用代码": f"91450100{i:010d}", "企业名称": f"广西某某贸易有限公司{i}",
               "注册资本": f"{(i % 997) * 1000 + 0.5:.2f}", "成立日期": f"20{i % 19 + 1:02d}-0{i % 9 + 1}-1{i % 9}",
               "从业人数": i % 5000, "经营状态": "存续"}
        lines.append(orjson.dumps({"op": "insert", "row": row}))
        if len(lines) == BATCH_ROWS:
            out.append(b"\n".join(lines))
            lines = []
    if lines:
        out.append(b"\n".join(lines))
    return out


async def _reference_copy(database_url: str, code: str, bodies: list[bytes]) -> float:
    """Seconds the database takes to COPY the same canonical rows (checked beforehand, untimed)."""
    cols = tables.columns_of(ITEMS)
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "exchange,public"})
    try:
        await conn.execute("DROP TABLE IF EXISTS bench_changes, bench_rows; "
                           "CREATE TABLE bench_changes (LIKE table_changes INCLUDING ALL); "
                           "CREATE TABLE bench_rows (LIKE table_rows INCLUDING ALL)")
        await conn.set_type_codec("jsonb", encoder=lambda v: b"\x01" + orjson.dumps(v),
                                  decoder=lambda b: orjson.loads(b[1:]), schema="pg_catalog", format="binary")
        spent, seq = 0.0, 0
        for body in bodies:
            changes = tables.check(body, "jsonl", cols).changes
            records = [(code, seq + i + 1, "b", ch.op, ch.key, ch.row) for i, ch in enumerate(changes)]
            rows = [(code, ch.key, ch.row, seq + len(changes)) for ch in changes]
            seq += len(changes)
            started = time.perf_counter()
            async with conn.transaction():
                await conn.copy_records_to_table("bench_changes", records=records,
                                                 columns=["resource_code", "seq", "batch_id", "op", "key", "row"])
                await conn.copy_records_to_table("bench_rows", records=rows,
                                                 columns=["resource_code", "key", "row", "seq"])
            spent += time.perf_counter() - started
        await conn.execute("DROP TABLE bench_changes, bench_rows")
        return spent
    finally:
        await conn.close()


def _check_only(bodies: list[bytes]) -> float:
    cols = tables.columns_of(ITEMS)
    started = time.perf_counter()
    for body in bodies:
        checked = tables.check(body, "jsonl", cols)
        tables.against(checked, set())
    return time.perf_counter() - started


async def _measure(n: int, database_url: str, bootstrap: str) -> dict[str, Any]:
    from exchange.bootstrap import create_app
    from exchange.settings import ExchangeSettings

    provider = make_uscc("450000", uuid.uuid4().hex[:8].upper())
    code = build_resource_code("450000", provider, 1)
    bodies = batches(n)
    settings = ExchangeSettings(database_url=database_url, kafka_bootstrap=bootstrap, log_level="WARNING")
    app = create_app(settings)
    async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=600, trust_env=False) as client:
        # The catalog's events would say this; the benchmark writes the read model directly.
        async with app.state.host.pool.acquire() as conn:
            at = datetime.now(UTC)
            await repo.upsert_resource(conn, code=code, provider=provider, name="企业登记信息",
                                       share_type="conditional", share_condition="核验", share_basis=None,
                                       data_kind="government", at=at, items=ITEMS)
            await repo.set_mount(conn, code, provider, "table", at)
        headers = token("department", provider) | {"Content-Type": "application/x-ndjson"}
        started = time.perf_counter()
        for body in bodies:
            r = await client.post(f"/tables/{code}/batches", content=body, headers=headers)
            assert r.status_code == 201, r.text
        e2e_s = time.perf_counter() - started
    copy_s = await _reference_copy(database_url, code, bodies)
    check_s = _check_only(bodies)
    e2e, ref = n / e2e_s, n / copy_s
    return {"rows": n, "rows_per_batch": BATCH_ROWS, "delivered_per_s": round(e2e), "db_copy_per_s": round(ref),
            "ratio": round(e2e / ref, 3), "check_only_per_s": round(n / check_s)}


async def run(n: int, database_url: str | None = None, bootstrap: str | None = None) -> dict[str, Any]:
    if database_url is not None and bootstrap is not None:
        return await _measure(n, database_url, bootstrap)
    with tempfile.TemporaryDirectory(prefix="bench-tables-") as tmp, \
            postgres_server(Path(tmp)) as server, kafka_broker(Path(tmp)) as kafka:
        await ensure_topics(kafka, partitions=3)
        return await _measure(n, await fresh_database(server, "benchtab"), kafka)


if __name__ == "__main__":
    os.environ.setdefault("HUB_LOG_LEVEL", "WARNING")
    print(asyncio.run(run(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)))
