"""`make load`: a day of a province compressed into minutes, through the public APIs, on 127.0.0.1 only.

A hub of its own (`hub up`, a fresh home, its own ports, a simulated clock on Monday 2 September 2019) and a
provider system behind every API resource (answering 503 to one call in 50: failures are part of a day); the
province is built as its units would build it (benchmarks.load_province); then Locust (headless, in its own
virtual environment, bounded by --minutes) plays consumer systems calling through the gateway, departments
searching the catalog and asking for access, market regulators pushing business licenses and windows using
them. Then: every service's consumer lag and relay backlog when the load stops and how long they take to
drain; September closed the way the bureau closes a month (the clock past its end, one fact after it); and
the live scores compared with an auditor's replay of the exported event log, unit by unit.

    python -m benchmarks.load --locust .venv-load/bin/locust [--minutes 3] [--users 48]

The report (rates and p50/p99 per endpoint, lag, the comparison) goes to stdout and `benchmarks/load-report.json`.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from hubkit.runtime.ports import free_port_block
from rich.console import Console
from rich.table import Table

from benchmarks.load_province import Province, bearer

START = "2019-09-02T09:00:00+08:00"  # a Monday
AFTER = "2019-10-01T09:00:00+08:00"
MONTH = "2019-09"
SERVICES = ("catalog", "exchange", "elicense", "scoring")
console = Console(stderr=True)


def _hub_env(home: Path, base: int, provider_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("HUB_DATABASE_URL", "HUB_KAFKA_BOOTSTRAP")}
    return env | {"HUB_HOME": str(home), "HUB_PORT_BASE": str(base), "HUB_PG_PORT": str(base + 6),
                  "HUB_KAFKA_PORT": str(base + 7), "HUB_SIMULATED_CLOCK": "true", "HUB_SIMULATED_START": START,
                  "HUB_EGRESS_ALLOW": f"127.0.0.1:{provider_port}", "HUB_LOG_LEVEL": "WARNING",
                  # a province's systems call far more than one department's token is allowed by default
                  "HUB_GATEWAY_RATE": "0", "HUB_QUOTA_PER_MINUTE": str(10**8), "HUB_QUOTA_PER_DAY": str(10**9),
                  "HUB_WRITE_RATES": '{"department": 0}'}


def _locust(locust: str, plan: Path, out: Path, minutes: float, users: int) -> list[dict[str, Any]]:
    """Run the users; their stats per endpoint from Locust's CSV."""
    argv = [locust, "-f", str(Path(__file__).with_name("locustfile.py")), "--headless", "-u", str(users),
            "-r", str(max(1, users // 4)), "--run-time", f"{int(minutes * 60)}s", "--csv", str(out / "locust"),
            "--only-summary", "--stop-timeout", "10", "--exit-code-on-error", "0"]
    subprocess.run(argv, env=os.environ | {"HUB_LOAD_PLAN": str(plan)}, check=True, timeout=minutes * 60 + 300,
                   stdout=subprocess.DEVNULL)
    with (out / "locust_stats.csv").open(encoding="utf-8") as f:
        return [{"endpoint": r["Name"], "requests": int(r["Request Count"]), "failures": int(r["Failure Count"]),
                 "per_s": round(float(r["Requests/s"]), 1), "p50_ms": r["50%"], "p99_ms": r["99%"]}
                for r in csv.DictReader(f)]


def _backlog(http: dict[str, httpx.Client], operator: dict[str, str]) -> dict[str, Any]:
    """Each service's consumer lag (events not yet consumed) and outbox rows not yet relayed."""
    out = {}
    for name, client in http.items():
        status = client.get("/ops/status", headers=operator).json()
        lag = sum(int(c.get("lag") or 0) for c in status.get("consumers", []))
        out[name] = {"lag": lag, "unsent": int((status.get("relay") or {}).get("unsent") or 0)}
    return out


def _drain(http: dict[str, httpx.Client], operator: dict[str, str], timeout: float = 600) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if all(b["lag"] == 0 and b["unsent"] == 0 for b in _backlog(http, operator).values()):
            return time.monotonic() - started
        time.sleep(1)
    raise RuntimeError(f"the hub did not drain its backlog within {timeout} s")


def _close_month(province: Province) -> dict[str, Any]:
    """The clock past September's end, one fact after it (an API's reported update), scores final."""
    for name in SERVICES:
        province.call(name, "PUT", "/admin/clock", province.operator, json={"now": AFTER}, ok=(200, 409))
    first = province.units[0]
    province.call("catalog", "POST", f"/resources/{first.code}/updates", bearer("department", first.uscc),
                  json={"records": 1})
    end = datetime.fromisoformat("2019-10-01T00:00:00+08:00")
    deadline, last = time.monotonic() + 300, None
    while time.monotonic() < deadline:
        board = province.call("scoring", "GET", "/scores", province.operator, params={"month": MONTH}).json()
        if board.get("as_of") and datetime.fromisoformat(board["as_of"]) >= end and board == last:
            return board
        last = board
        time.sleep(2)
    raise RuntimeError("September's scores did not become final")


def _replay(env: dict[str, str], home: Path, work: Path) -> dict[str, Any]:
    state = json.loads((home / "state.json").read_text())
    audit = env | {"HUB_DATABASE_URL": state["database_url"]}
    cli = str(Path(sys.executable).with_name("hub-scoring"))
    log = work / f"{MONTH}.jsonl"
    subprocess.run([cli, "export", "--month", MONTH, "--out", str(log)], env=audit, check=True, timeout=600,
                   capture_output=True)
    done = subprocess.run([cli, "replay", "--month", MONTH, "--events", str(log)], env=audit, check=True,
                          timeout=600, capture_output=True, text=True)
    replayed: dict[str, Any] = json.loads(done.stdout)
    replayed["events"] = sum(1 for _ in log.open(encoding="utf-8"))
    return replayed


def run(locust: str, minutes: float, users: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="hub-load-") as tmp:
        work = Path(tmp)
        home, base = work / "hub", free_port_block(10)
        provider_port = base + 9
        env = _hub_env(home, base, provider_port)
        provider = subprocess.Popen([sys.executable, "-m", "exchange.bench_load", "provider", str(provider_port),
                                     "--for-seconds", str(minutes * 60 + 1800), "--fail-every", "50"])
        hub = [sys.executable, "-m", "hubkit.cli"]
        try:
            subprocess.run([*hub, "up", "--detach"], env=env, check=True, timeout=600, capture_output=True)
            ports = {name: base + n for n, name in enumerate(SERVICES, start=1)}
            province = Province(ports, provider_port, START)
            built = time.monotonic()
            province.build()
            console.print(f"province built through the APIs in {time.monotonic() - built:.0f} s: "
                          f"{len(province.units)} units")
            plan = work / "plan.json"
            plan.write_text(json.dumps(province.plan()), encoding="utf-8")
            plan.chmod(0o600)  # it holds tokens
            stats = _locust(locust, plan, work, minutes, users)
            backlog = _backlog(province.http, province.operator)
            drained = _drain(province.http, province.operator)
            board = _close_month(province)
            replayed = _replay(env, home, work)
            province.close()
        finally:
            subprocess.run([*hub, "down"], env=env, timeout=120, capture_output=True)
            provider.terminate()
            provider.wait(timeout=30)
    live = {u["unit"]: (u["x"], u["y"], u["total"], u["band"]) for u in board["units"]}
    audit = {u["unit"]: (u["x"], u["y"], u["total"], u["band"]) for u in replayed["units"]}
    return {"minutes": minutes, "users": users, "units": len(province.units), "endpoints": stats,
            "backlog_when_load_stopped": backlog, "drained_in_s": round(drained, 1),
            "scored_units": len(live), "events_replayed": replayed["events"],
            "live_equals_replay": live == audit,
            "differing_units": sorted(u for u in live.keys() | audit.keys() if live.get(u) != audit.get(u))[:10]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--locust", required=True, help="the locust executable (its own virtual environment)")
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--users", type=int, default=48)
    args = parser.parse_args()
    report = run(args.locust, args.minutes, args.users)
    Path(__file__).with_name("load-report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1))
    table = Table(title=f"gov-hub load: {report['units']} units, {args.users} users, {args.minutes} min")
    for column in ("endpoint", "requests", "failures", "per_s", "p50_ms", "p99_ms"):
        table.add_column(column)
    for row in report["endpoints"]:
        table.add_row(*(str(row[c]) for c in ("endpoint", "requests", "failures", "per_s", "p50_ms", "p99_ms")))
    Console().print(table)
    Console().print({k: v for k, v in report.items() if k != "endpoints"})
    if not report["live_equals_replay"]:
        raise SystemExit("the live scores differ from the replay: " + ", ".join(report["differing_units"]))


if __name__ == "__main__":
    main()
