"""Run the benchmarks against an embedded PostgreSQL and Tansu started for the run.

    python -m benchmarks [--quick] [--only scoring]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

from hubkit.kafka import ensure_topics
from hubkit.testing import kafka_broker, postgres_server
from rich.console import Console
from rich.table import Table


async def _scoring(server: str, bootstrap: str, quick: bool) -> dict[str, Any]:
    from benchmarks import alert_burst, scoring_bench, scoring_shards_bench

    out: dict[str, Any] = {}
    out["scoring.live_ingest"] = await scoring_bench.live_ingest(server, bootstrap, 20_000 if quick else 200_000)
    out["scoring.sharded_ingest"] = await scoring_shards_bench.sharded_ingest(server, bootstrap,
                                                                             20_000 if quick else 200_000)
    out["scoring.alert_latency"] = await scoring_bench.alert_latency(server, bootstrap, 20 if quick else 200)
    out["scoring.alert_in_burst"] = await alert_burst.alert_in_burst(server, bootstrap, 200 if quick else 1000)
    out["scoring.replay"] = scoring_bench.replay_bench(50_000 if quick else 1_000_000)
    return out


async def _others(server: str, bootstrap: str, quick: bool, only: str | None) -> dict[str, Any]:
    from exchange.bench_gateway import run as gateway
    from exchange.bench_tables import run as table_exchange
    from hubkit.testing import fresh_database

    from benchmarks.profiles import GATEWAY, IMPORT, sampling

    out: dict[str, Any] = {}
    if only in (None, "gateway", "exchange"):
        out["exchange.gateway"] = await gateway(500 if quick else 5000, server, bootstrap,
                                                lambda pid: sampling(pid, GATEWAY))
    if only == "gateway":
        return out
    if only in (None, "exchange"):
        out["exchange.tables"] = await table_exchange(20_000 if quick else 200_000,
                                                      await fresh_database(server, "benchtab"), bootstrap)
    if only == "exchange":
        return out
    try:
        from elicense.bench_import import run as license_import
    except ImportError:
        out["elicense.import"] = {"status": "not available in this build"}
    else:
        out["elicense.import"] = await license_import(20_000 if quick else 200_000,
                                                      await fresh_database(server, "benchlic"), bootstrap,
                                                      lambda pid: sampling(pid, IMPORT))
    from benchmarks import seals_bench

    out["elicense.seal_verification"] = seals_bench.run(20 if quick else 200)
    return out


async def main(quick: bool, only: str | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, postgres_server(Path(tmp), durable=True) as server, \
            kafka_broker(Path(tmp)) as bootstrap:
        await ensure_topics(bootstrap, partitions=6)
        results: dict[str, Any] = {}
        if only in (None, "scoring"):
            results |= await _scoring(server, bootstrap, quick)
        if only in (None, "gateway", "exchange", "elicense"):
            results |= await _others(server, bootstrap, quick, only)
        return results


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (under two minutes)")
    parser.add_argument("--only", choices=["scoring", "gateway", "exchange", "elicense"])
    args = parser.parse_args()
    results = asyncio.run(main(args.quick, args.only))
    table = Table(title="gov-hub benchmarks")
    table.add_column("benchmark")
    table.add_column("figures")
    for name, figures in results.items():
        table.add_row(name, ", ".join(f"{k}={v}" for k, v in figures.items()))
    Console().print(table)
    # A partial run (--only) updates its own figures and keeps the others of the last full run.
    path = Path(__file__).with_name("results.json")
    previous = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps(previous | results, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    run()
