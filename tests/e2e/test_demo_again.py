"""`make run` a second time (#22): on a hub that holds demo data the demo plays the next month on top of
it, or finishes the month a killed run left, and never plays a day twice; scores equal the auditor's replay.

A small directory (`--units 6`: issuing departments, cities and other departments) keeps each run near a
minute; everything else is what `make run` does: `hub up --demo` in a subprocess on the real servers.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from contracts.workdays import SHANGHAI
from hubkit.auth import mint_token
from hubkit.runtime.ports import free_port_block
from hubkit.settings import DEV_SECRET
from scoring.domain.facts.store import KEPT_WHENEVER_MADE

pytestmark = pytest.mark.e2e
HUB = [sys.executable, "-m", "hubkit.cli"]
SCORING_CLI = str(Path(sys.executable).with_name("hub-scoring"))
OPERATOR = {"Authorization": f"Bearer {mint_token(DEV_SECRET, role='operator')}"}


class LocalHub:
    def __init__(self, home: Path) -> None:
        base = free_port_block(10)  # below the ephemeral range: no client takes a port before the hub
        self.base = base
        self.env = {k: v for k, v in os.environ.items() if k not in ("HUB_DATABASE_URL", "HUB_KAFKA_BOOTSTRAP")}
        self.env.update(HUB_HOME=str(home), HUB_PORT_BASE=str(base), HUB_PG_PORT=str(base + 6),
                        HUB_KAFKA_PORT=str(base + 7))
        self.home = home

    def run(self, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*HUB, *args], env=self.env, capture_output=True, text=True, timeout=timeout)

    def up_demo(self, *args: str) -> str:
        up = self.run("up", "--demo", "--detach", *args)
        assert up.returncode == 0, up.stderr[-3000:]
        assert "Traceback" not in up.stderr and "demo stopped" not in up.stderr, up.stderr[-3000:]
        return up.stderr

    def down(self) -> None:
        self.run("down", timeout=90)

    def progress(self) -> dict[str, Any]:
        path = self.home / "demo.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def board(self, month: str) -> dict[str, tuple[str, ...]]:
        r = httpx.get(f"http://127.0.0.1:{self.base + 4}/scores", params={"month": month}, headers=OPERATOR,
                      timeout=30)
        assert r.status_code == 200, r.text
        return {u["unit"]: (u["x"], u["y"], u["total"], u["band"], u["list"]) for u in r.json()["units"]}

    def export(self, month: str, out: Path) -> list[dict[str, Any]]:
        state = json.loads((self.home / "state.json").read_text())
        env = {**self.env, "HUB_DATABASE_URL": state["database_url"]}
        done = subprocess.run([SCORING_CLI, "export", "--month", month, "--out", str(out)], env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        return [json.loads(line) for line in out.read_text().splitlines()]

    def replay(self, month: str, log: Path) -> dict[str, tuple[str, ...]]:
        state = json.loads((self.home / "state.json").read_text())
        env = {**self.env, "HUB_DATABASE_URL": state["database_url"]}
        done = subprocess.run([SCORING_CLI, "replay", "--month", month, "--events", str(log)], env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        return {u["unit"]: (u["x"], u["y"], u["total"], u["band"], u["list"]) for u in json.loads(done.stdout)["units"]}

    def all_ready(self) -> bool:
        return all(httpx.get(f"http://127.0.0.1:{self.base + i}/health", timeout=5).status_code == 200
                   for i in range(1, 5))


def _of_month(events: list[dict[str, Any]], month: str) -> list[dict[str, Any]]:
    return [e for e in events if e["occurred_at"].startswith(month)]


def _no_day_twice(events: list[dict[str, Any]]) -> None:
    """What a day plays at most once: 8 new requests, one publication per resource, one push per new
    license, one file per stock license, the findings; a day played twice shows as more."""
    per_day = Counter((e["type"], e["occurred_at"][:10]) for e in events)
    for (kind, day), n in per_day.items():
        if kind == "exchange.request-submitted":
            assert n <= 8, f"{n} requests submitted on {day}"
    published = Counter(e["data"]["resource_code"] for e in events if e["type"] == "catalog.resource-published")
    assert published and max(published.values()) == 1, published.most_common(3)
    pushed = Counter(e["data"]["license_id"] for e in events if e["type"] == "elicense.license-pushed")
    # An issuer's slip (abnormal data) is pushed again, corrected, on a later working day: a new license is
    # pushed once on any one day.
    pushed_on = Counter((e["data"]["license_id"], e["occurred_at"][:10]) for e in events
                        if e["type"] == "elicense.license-pushed" and e["data"]["license_id"].startswith("INC-"))
    stock = {k: n for k, n in pushed.items() if k.startswith("STK-")}
    # A new license is pushed once a day; a stock license is imported, then pushed again with its file, once.
    assert pushed_on and max(pushed_on.values()) == 1, pushed_on.most_common(3)
    assert stock and max(stock.values()) <= 2, pushed.most_common(3)
    findings = Counter(e["data"]["finding_id"] for e in events if e["type"] == "scoring.finding-recorded")
    assert findings and max(findings.values()) == 1


def test_a_range_of_months_then_a_second_run_plays_the_next_month_and_leaves_the_first_as_it_was(
    tmp_path: Path,
) -> None:
    hub = LocalHub(tmp_path / "hub")
    try:
        said = hub.up_demo("--units", "6", "--from", "2019-07", "--to", "2019-08")
        assert "simulating 2019-07 (1/2)" in said and "simulating 2019-08 (2/2)" in said, said[-2000:]
        assert "2019-07: 6 units, mean" in said  # a line per month played before the last
        assert hub.progress()["months"] == ["2019-07", "2019-08"] and hub.progress()["finished"]
        # Each month is closed as it ends; July's late finding (recorded in August) is its adjustment.
        july = httpx.get(f"http://127.0.0.1:{hub.base + 4}/months/2019-07", headers=OPERATOR, timeout=30).json()
        assert july["closed"] and [a["type"] for a in july["adjustments"]] == ["scoring.finding-recorded"]
        late = next(u for u in july["units"] if u["unit"] == july["adjustments"][0]["unit"])
        assert late["adjusted"] and late["adjusted_total"] < late["frozen_total"]
        assert httpx.get(f"http://127.0.0.1:{hub.base + 4}/months/2019-08", headers=OPERATOR,
                         timeout=30).json()["closed"]
        august = hub.export("2019-08", tmp_path / "aug-1.jsonl")
        first_board = hub.board("2019-08")
        hub.down()

        said = hub.up_demo()
        assert "already holds the demo up to 2019-08; playing 2019-09" in said, said[-2000:]
        assert "RuntimeDirWarning" not in said and "XDG_RUNTIME_DIR" not in said
        assert hub.progress()["months"] == ["2019-07", "2019-08", "2019-09"] and hub.progress()["finished"]
        # August is as the first run left it, played once: the only fact about it added is the inspector's late
        # finding about its last day, recorded in September (August's adjustment); the export also carries what
        # holds in every month whenever it was made (September's registrations, request decisions, retractions);
        # the live scores equal the replay.
        again = hub.export("2019-08", tmp_path / "aug-2.jsonl")
        added = [e for e in again if e["id"] not in {a["id"] for a in august}]
        about_august = [e for e in added if e["type"] not in KEPT_WHENEVER_MADE]
        assert [(e["type"], e["data"]["finding_id"]) for e in about_august] == [("scoring.finding-recorded",
                                                                                 "demo-2019-08-late")]
        september_1 = datetime(2019, 9, 1, tzinfo=SHANGHAI)
        assert all(datetime.fromisoformat(e["occurred_at"]) >= september_1
                   for e in added if e["type"] in KEPT_WHENEVER_MADE)
        assert [e["id"] for e in again if e not in added] == [e["id"] for e in august]
        now_board = hub.board("2019-08")
        assert now_board == hub.replay("2019-08", tmp_path / "aug-2.jsonl")
        late = about_august[0]["unit"]
        assert {u: v for u, v in now_board.items() if u != late} == {u: v for u, v in first_board.items() if u != late}
        assert now_board[late][2] < first_board[late][2]  # C2.4 costs it points in August, after the close
        september = hub.export("2019-09", tmp_path / "sep.jsonl")
        sep_only = _of_month(september, "2019-09")
        kinds = Counter(e["type"] for e in sep_only)
        # September is a month of its own: a new batch, publications, requests, pushes, findings.
        assert kinds["catalog.requirement-assigned"] >= 6 and kinds["elicense.license-pushed"] > 0
        assert kinds["exchange.request-submitted"] > 0 and kinds["scoring.finding-recorded"] > 0
        _no_day_twice(september)
        assert hub.board("2019-09") == hub.replay("2019-09", tmp_path / "sep.jsonl")
        assert hub.all_ready()

        # Asked for a month played already: said in one line, nothing played, the scores shown.
        shown = hub.run("demo", "--month", "2019-08")
        assert shown.returncode == 0, shown.stderr[-2000:]
        assert "2019-08 was played already" in shown.stderr
        assert [e["id"] for e in hub.export("2019-08", tmp_path / "aug-3.jsonl")] == [e["id"] for e in again]
    finally:
        hub.down()


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_a_run_killed_half_way_is_finished_by_the_next_without_playing_a_day_twice(tmp_path: Path) -> None:
    hub = LocalHub(tmp_path / "hub")
    log = (tmp_path / "first.log").open("w")
    # Ctrl-C reaches the hub whatever this test was started under (a shell's background job ignores SIGINT,
    # and a child inherits that).
    first = subprocess.Popen([*HUB, "up", "--demo", "--units", "6", "--month", "2019-08"], env=hub.env, stdout=log,
                             stderr=log, preexec_fn=_default_sigint)
    try:
        deadline = time.monotonic() + 180
        while (hub.progress().get("last_day") or "") < "2019-08-13":
            assert first.poll() is None and time.monotonic() < deadline, (tmp_path / "first.log").read_text()
            time.sleep(0.1)
        first.send_signal(signal.SIGINT)  # Ctrl-C in the middle of the month
        assert first.wait(60) is not None
        stopped_in = hub.progress()["last_day"]
        assert not hub.progress()["finished"]

        said = hub.up_demo()
        assert f"stopped during {stopped_in}" in said, said[-2000:]
        assert hub.progress()["months"] == ["2019-08"] and hub.progress()["finished"]
        august = hub.export("2019-08", tmp_path / "aug.jsonl")
        _no_day_twice(august)
        # The days after the interruption were played: there are facts on the month's last working days.
        days = {e["occurred_at"][:10] for e in august if e["type"] == "catalog.resource-updated"}
        assert "2019-08-30" in days and stopped_in < max(days)
        assert hub.board("2019-08") == hub.replay("2019-08", tmp_path / "aug.jsonl")
        assert hub.all_ready()
    finally:
        if first.poll() is None:
            first.kill()
        log.close()
        hub.down()
