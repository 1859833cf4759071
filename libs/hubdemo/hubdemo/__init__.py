"""`hub demo`: realistic months driven through the services' HTTP APIs, safe to run again on the same hub.

`progress` decides what a run plays (the next month, or the rest of one a killed run left), `month` plays
it, `providers` are the provider systems behind API resources. A demo that cannot go on says so in one
line and leaves the hub running; the traceback goes to `HUB_HOME/demo.log`.
"""

from __future__ import annotations

import time
import traceback
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from . import progress as saved
from .month import Demo, DemoFailed
from .progress import Plan, Progress, load, plan

__all__ = ["Demo", "DemoFailed", "Plan", "Progress", "load", "plan", "run_demo"]
LOG = "demo.log"


def run_demo(*, ports: dict[str, int], plan: Plan, home: Path, console: Console, day_seconds: float = 0.0,
             provider_port: int | None = None) -> dict[str, Any] | None:
    """Play what `plan` says (each month up to `plan.until` in turn, closing each at its end), then show the
    last month's leaderboard. `provider_port`: where the demo's provider systems listen; the hub's egress
    policy must allow 127.0.0.1 on that port (`hub up --demo` arranges it), as it refuses loopback otherwise.
    None when the demo stopped (the one line said why)."""
    if plan.message:
        console.print(f"[bold]demo:[/bold] {plan.message}")
    for note in plan.notes:
        console.print(f"[yellow]demo: {note}[/yellow]")
    demo: Demo | None = None
    started = time.monotonic()
    months = _span(plan)
    counts: dict[str, int] = {}
    try:
        while True:
            demo = Demo(ports, plan, home, console, day_seconds, provider_port)
            if len(months) > 1:
                demo.label = f" ({months.index(plan.month) + 1}/{len(months)})"
            board = _play(demo, plan, ports, console)
            for k, v in demo.counts.items():
                counts[k] = counts.get(k, 0) + v
            if not plan.more:
                break
            _month_line(console, plan.month, board)
            plan = saved.plan(saved.load(home), until=plan.until)
    except DemoFailed as exc:
        _stopped(console, home, f"{exc}", demo)
        return None
    except Exception as exc:  # the demo's own bug or a service gone: one line, the hub stays up
        _stopped(console, home, f"{type(exc).__name__}: {exc}", demo)
        return None
    _show(console, plan.month, board, time.monotonic() - started, counts)
    return board


def _play(demo: Demo, plan: Plan, ports: dict[str, int], console: Console) -> dict[str, Any]:
    """One month: played and closed, or only read when the plan says it was played already."""
    if not plan.play:
        return demo.board()
    demo.remember()  # the month is begun: a run killed from here on continues it, never replays it
    demo.run()
    with console.status("waiting for the scores to settle…"):
        board = demo.wait_for_scores()
    if demo.close_month():
        console.print(f"{plan.month} closed; its bulletin (sign in to the console first): "
                      f"http://127.0.0.1:{ports['scoring']}/console/months/{plan.month}/bulletin")
    return board


def _span(plan: Plan) -> list[str]:
    """The months this run plays, in order."""
    months = [plan.month]
    while plan.until is not None and months[-1] < plan.until:
        months.append(saved.month_after(months[-1]))
    return months


def _month_line(console: Console, month: str, board: dict[str, Any]) -> None:
    units = board.get("units", [])
    lists = {k: sum(u["list"] == k for u in units) for k in ("red", "black")}
    mean = sum(Decimal(u["total"]) for u in units) / len(units) if units else Decimal(0)
    console.print(f"{month}: {len(units)} units, mean {mean:.2f}, red list {lists['red']}, black list {lists['black']}")


def _stopped(console: Console, home: Path, what: str, demo: Demo | None) -> None:
    where = f" (last call: {demo.last_call})" if demo is not None and demo.last_call not in what else ""
    log = home / LOG
    with log.open("a", encoding="utf-8") as out:
        out.write(f"── {datetime.now().isoformat(timespec='seconds')} the demo stopped: {what}{where}\n")
        out.write(traceback.format_exc())
    console.print(f"[red]demo stopped: {what}{where}[/red]; the hub keeps running, details in {log}",
                  soft_wrap=True)


def _show(console: Console, month: str, board: dict[str, Any], seconds: float, counts: dict[str, int]) -> None:
    units = board.get("units", [])
    table = Table(title=f"{month}: {len(units)} units scored ({seconds:.0f} s)")
    for col in ("rank", "unit", "total", "band", "list"):
        table.add_column(col)
    for u in units if len(units) <= 10 else units[:5] + units[-5:]:
        table.add_row(str(u["rank"]), u.get("name") or u["unit"], u["total"], u["band"], u["list"])
    console.print(table)
    lists = {k: sum(u["list"] == k for u in units) for k in ("red", "black")}
    calls = sum(v for k, v in counts.items() if not k.endswith("refused"))
    said = f"red list: {lists['red']}, black list: {lists['black']}"
    console.print(said + (f"; API calls: {calls}" if calls else ""))
    refused = {k: v for k, v in counts.items() if k.endswith("refused")}
    if refused:
        console.print(f"refused by the services (expected for late or invalid steps): {refused}")
