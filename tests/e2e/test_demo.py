"""`hub up --demo`: a realistic August 2019 through the HTTP APIs; afterwards the console's numbers equal
an auditor's replay of the exported event log, and the leaderboard has a realistic spread."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from hubkit.auth import mint_token
from hubkit.runtime.ports import free_port_block
from hubkit.settings import DEV_SECRET

from tests.pdf_render import CHART_TITLES, render

pytestmark = pytest.mark.e2e


@pytest.mark.timeout(600)  # the full 64-unit month: 200–250 s here, near the default 300 s
def test_demo_month_scores_equal_the_replay_of_its_exported_log(tmp_path: Path) -> None:
    base = free_port_block(10)  # below the ephemeral range: no client takes a port before the hub
    env = {k: v for k, v in os.environ.items() if k not in ("HUB_DATABASE_URL", "HUB_KAFKA_BOOTSTRAP")}
    env.update(HUB_HOME=str(tmp_path / "hub"), HUB_PORT_BASE=str(base), HUB_PG_PORT=str(base + 6),
               HUB_KAFKA_PORT=str(base + 7))
    hub = [sys.executable, "-m", "hubkit.cli"]
    scoring_cli = [str(Path(sys.executable).with_name("hub-scoring"))]
    up = subprocess.run([*hub, "up", "--demo", "--detach", "--month", "2019-08"], env=env, capture_output=True,
                        text=True, timeout=900)
    try:
        assert up.returncode == 0, up.stderr[-3000:]
        assert "/console/login?code=" in up.stderr and "token=" not in up.stderr
        operator = {"Authorization": f"Bearer {mint_token(DEV_SECRET, role='operator')}"}
        board = httpx.get(f"http://127.0.0.1:{base + 4}/scores", params={"month": "2019-08"}, headers=operator,
                          timeout=30).json()
        state = json.loads((tmp_path / "hub" / "state.json").read_text())
        audit_env = {**env, "HUB_DATABASE_URL": state["database_url"]}
        log = tmp_path / "2019-08.jsonl"
        export = subprocess.run([*scoring_cli, "export", "--month", "2019-08", "--out", str(log)], env=audit_env,
                                capture_output=True, text=True, timeout=300)
        assert export.returncode == 0, export.stderr[-2000:]
        replay = subprocess.run([*scoring_cli, "replay", "--month", "2019-08", "--events", str(log)], env=audit_env,
                                capture_output=True, text=True, timeout=300)
        assert replay.returncode == 0, replay.stderr[-2000:]
        replayed = json.loads(replay.stdout)
        # The demo closes the month: its evidence package verifies by itself, its bulletin is out.
        package = tmp_path / "evidence-2019-08.zip"
        made = subprocess.run([*scoring_cli, "evidence", "--month", "2019-08", "--out", str(package)],
                              env=audit_env, capture_output=True, text=True, timeout=300)
        assert made.returncode == 0, made.stderr[-2000:]
        verified = subprocess.run([*scoring_cli, "verify", str(package)], capture_output=True, text=True, timeout=300)
        assert verified.returncode == 0 and verified.stdout.startswith("identical"), verified.stdout[-2000:]
        bulletin = httpx.get(f"http://127.0.0.1:{base + 4}/months/2019-08/bulletin.pdf", headers=operator, timeout=60)
        cookies = {"hub_console": operator["Authorization"][7:]}
        page = httpx.get(f"http://127.0.0.1:{base + 4}/console/leaderboard", params={"month": "2019-08"}, timeout=30,
                         cookies=cookies).text
        home = httpx.get(f"http://127.0.0.1:{base + 4}/console", params={"month": "2019-08"}, timeout=30,
                         cookies=cookies).text
        catalog = f"http://127.0.0.1:{base + 1}"
        returned = httpx.get(f"{catalog}/reviews", params={"state": "returned", "limit": 1000}, headers=operator,
                             timeout=30).json()
        approved = httpx.get(f"{catalog}/reviews", params={"state": "approved", "limit": 1000}, headers=operator,
                             timeout=30).json()
        compiled = {kind: httpx.get(f"{catalog}/resources", params={"catalog": kind}, headers=operator,
                                    timeout=30).json() for kind in ("base", "theme")}
        feeds = {r["code"]: httpx.get(f"{catalog}/resources/{r['code']}/feeds", headers=operator, timeout=30).json()
                 for found in compiled.values() for r in found}
        confirmed = httpx.get(f"{catalog}/duplicates", params={"decision": "confirmed"}, headers=operator,
                              timeout=30).json()
        portal = {"hub_portal": operator["Authorization"][7:]}
        portal_base = httpx.get(f"{catalog}/portal", params={"catalog": "base"}, cookies=portal, timeout=30)
        fixed_code = returned[0]["resource_code"] if returned else ""
        portal_fixed = httpx.get(f"{catalog}/portal/resources/{fixed_code}", cookies=portal, timeout=30)
        portal_open = httpx.get(f"{catalog}/portal/open", timeout=30)
    finally:
        subprocess.run([*hub, "down"], env=env, capture_output=True, text=True, timeout=60)

    # The bureau reviewed the month's catalog: some submissions were returned with reasons, fixed, resubmitted
    # and approved; some approvals had a public notice and were published when it ended.
    assert returned and all(r["reasons"] and r["reasons"][0]["field"] == "summary" for r in returned)
    approved_codes = {r["resource_code"] for r in approved}
    assert {r["resource_code"] for r in returned} & approved_codes
    noticed = [r for r in approved if r["notice_until"]]
    assert noticed and any(r["resource_status"] == "published" for r in noticed)
    # The base and theme catalogs were compiled from published department resources, which show what gathers them.
    assert [r["metadata"]["name"] for r in compiled["base"]] == ["法人综合库"]
    assert [r["metadata"]["name"] for r in compiled["theme"]] == ["营商环境主题库"]
    assert all(f["gathers"] and all(g["catalog"] == "department" for g in f["gathers"]) for f in feeds.values())
    # Two units collected the same population register: the bureau confirmed the first as authoritative.
    assert len(confirmed) == 1 and confirmed[0]["authoritative"] in confirmed[0]["codes"]
    # The portal renders them: the base catalog, a returned-then-fixed resource with its reasons, the open page.
    assert portal_base.status_code == 200 and "法人综合库" in portal_base.text
    assert portal_fixed.status_code == 200 and "摘要未说明数据范围和更新方式" in portal_fixed.text
    assert portal_open.status_code == 200 and portal_open.text.count("<tr>") >= 2
    assert bulletin.status_code == 200 and bulletin.content.startswith(b"%PDF-")
    import io

    import pypdf

    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(bulletin.content)).pages)
    assert "考核结果通报" in text and "红榜" in text and "黑榜" in text
    assert board["units"][0]["name"] in text  # the ranking's first unit, by name
    # Rendered as a reader shows it (PDFium): every page drawn, the Chinese text there, at least three charts.
    pages = render(bulletin.content)
    shown = "".join(p.text for p in pages)
    assert "红榜" in shown and "黑榜" in shown and board["units"][0]["name"] in shown
    assert sum(title in shown for title in CHART_TITLES) >= 3 and min(p.ink for p in pages) > 0.005
    live = {u["unit"]: (u["x"], u["y"], u["total"], u["band"], u["list"]) for u in board["units"]}
    audit = {u["unit"]: (u["x"], u["y"], u["total"], u["band"], u["list"]) for u in replayed["units"]}
    assert len(live) >= 60
    assert live == audit
    lists = [u["list"] for u in board["units"]]
    assert lists.count("red") >= 5 and lists.count("black") >= 1 and lists.count("none") >= 5
    assert len({u["total"] for u in board["units"]}) >= 20
    # The dashboard shows the demo's province: its cities, the catalog, exchange and library at work.
    for panel in ("bands", "distribution", "costliest", "trend", "catalog", "exchange", "licenses", "health", "feed",
                  "cities", "heat"):
        assert f'id="panel-{panel}"' in home
    assert "所辖县区" in home and "南宁市" in home
    required = re.search(r"需求资源</td><td class=\"num\"><strong>(\d+)</strong>", home)
    assert required is not None and int(required.group(1)) > 0, home[:3000]
    # The console shows the hub's messaging at a glance: dead letters, the largest lag, unsent events.
    health = re.search(r'<p id="health".*?</p>', page, re.S)
    assert health is not None and "死信" in health.group(0)
    assert re.findall(r"<strong[^>]*>(\d+)</strong>", health.group(0)), health.group(0)
    # The console shows the same numbers, rendered on the server.
    for unit in board["units"][:3] + board["units"][-3:]:
        assert f'id="row-{unit["unit"]}"' in page and f"<strong>{unit['total']}</strong>" in page
