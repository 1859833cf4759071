"""A demo that cannot go on says so in one line (what failed, which call, the problem document it got),
keeps the hub up, and leaves the traceback in HUB_HOME/demo.log (#22); `hub reset` starts afresh."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from hubdemo import plan, run_demo
from hubkit.cli import app
from hubkit.runtime.ports import free_port
from rich.console import Console
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from typer.testing import CliRunner


@pytest.fixture(scope="module")
def refusing_service() -> Iterator[int]:
    """A service that answers every request with a problem document."""

    async def refuse(request: Request) -> JSONResponse:
        return JSONResponse({"type": "about:blank", "title": "Service Unavailable",
                             "detail": "the catalog is migrating", "status": 503}, status_code=503,
                            media_type="application/problem+json")

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/{p:path}", refuse, methods=["GET", "PUT"])]),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield port
    server.should_exit = True
    thread.join(5)


def _console() -> Console:
    return Console(record=True, width=400, color_system=None)


def test_a_refused_call_stops_the_demo_with_one_line_naming_the_call_and_its_problem(
        tmp_path: Path, refusing_service: int) -> None:
    console = _console()
    ports = dict.fromkeys(("catalog", "exchange", "elicense", "scoring"), refusing_service)
    assert run_demo(ports=ports, plan=plan(None, units=4), home=tmp_path, console=console) is None
    said = [line for line in console.export_text().splitlines() if line.strip()]
    stopped = [line for line in said if "demo stopped" in line]
    assert len(stopped) == 1, said
    assert "GET catalog /resources → 503" in stopped[0] and "the catalog is migrating" in stopped[0]
    assert str(tmp_path / "demo.log") in stopped[0]
    assert "Traceback" not in console.export_text()
    logged = (tmp_path / "demo.log").read_text()
    assert "Traceback (most recent call last)" in logged and "DemoFailed" in logged


def test_a_service_gone_is_one_line_too(tmp_path: Path) -> None:
    console = _console()
    closed = free_port()
    ports = dict.fromkeys(("catalog", "exchange", "elicense", "scoring"), closed)
    assert run_demo(ports=ports, plan=plan(None, units=4), home=tmp_path, console=console) is None
    stopped = [line for line in console.export_text().splitlines() if "demo stopped" in line]
    assert len(stopped) == 1 and "ConnectError" in stopped[0] and "GET catalog /resources" in stopped[0]
    assert "ConnectError" in (tmp_path / "demo.log").read_text()


def test_reset_asks_then_removes_the_hubs_data_and_refuses_under_a_running_hub(tmp_path: Path) -> None:
    home = tmp_path / "hub"
    (home / "pgdata").mkdir(parents=True)
    (home / "demo.json").write_text("{}")
    runner = CliRunner()
    env = {"HUB_HOME": str(home)}
    kept = runner.invoke(app, ["reset"], input="n\n", env=env)
    assert kept.exit_code == 1 and (home / "demo.json").exists()
    (home / "state.json").write_text(json.dumps({"supervisor_pid": os.getpid()}))  # a hub running here
    refused = runner.invoke(app, ["reset", "--yes"], env=env)
    assert refused.exit_code == 1 and "hub down" in refused.output and home.exists()
    (home / "state.json").unlink()
    removed = runner.invoke(app, ["reset"], input="y\n", env=env)
    assert removed.exit_code == 0 and not home.exists()
    assert runner.invoke(app, ["reset", "--yes"], env=env).exit_code == 0  # nothing to remove: fine


def test_an_impossible_month_is_refused_before_anything_starts(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["up", "--demo", "--month", "2019-13"], env={"HUB_HOME": str(tmp_path / "h")})
    assert result.exit_code == 2 and "not a month" in result.output and not (tmp_path / "h").exists()


def test_a_rate_limited_write_is_retried_after_the_wait_the_service_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's inspector records hundreds of findings at the month's end, faster than the write rate
    of one token: a 429 is waited out (Retry-After) and the write sent again, not counted as refused.
    (Before: a third of the demo's findings were lost to the rate limit, differently in every run.)"""
    import httpx
    from hubdemo import client

    answers = iter([429, 429, 202])
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.content.decode())
        status = next(answers)
        return httpx.Response(status, headers={"Retry-After": "2"} if status == 429 else {}, json={})

    slept: list[float] = []
    monkeypatch.setattr(client.time, "sleep", slept.append)
    demo = client.DemoBase.__new__(client.DemoBase)
    demo.http = {"scoring": httpx.Client(base_url="http://scoring.test", transport=httpx.MockTransport(handler))}
    demo.counts = {}
    r = demo.call("scoring", "POST", "/findings", {}, "finding recorded", ok=(202, 409), json={"finding_id": "f-1"})
    assert r.status_code == 202
    assert seen == ['{"finding_id":"f-1"}'] * 3 and slept == [2.0, 2.0]
    assert demo.counts == {"finding recorded": 1, "waits for the rate limit": 2}
