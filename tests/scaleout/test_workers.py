"""HUB_WORKERS: several processes of one service on one port (each a full replica), where a service may scale
out; the scoring projection and a simulated clock refuse it."""

from __future__ import annotations

import asyncio
import os
import sys
import time

import httpx
import psutil
import pytest
from hubkit.runtime.ports import free_port
from hubkit.settings import HubSettings
from scoring.bootstrap import create_app as scoring_app
from scoring.settings import ScoringSettings


def test_what_lives_in_one_process_refuses_workers() -> None:
    with pytest.raises(ValueError, match="simulated clock lives in one process"):
        HubSettings(workers=2, simulated_clock=True)
    with pytest.raises(ValueError, match="scoring runs as one process"):
        scoring_app(ScoringSettings(workers=2))
    assert HubSettings(workers=2).workers == 2


async def test_two_worker_processes_serve_one_port(database_url: str, kafka_bootstrap: str) -> None:
    port = free_port()
    env = os.environ | {"HUB_DATABASE_URL": database_url, "HUB_KAFKA_BOOTSTRAP": kafka_bootstrap,
                        "HUB_HTTP_PORT": str(port), "HUB_WORKERS": "2", "HUB_LOG_LEVEL": "WARNING"}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "exchange", env=env,
                                                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        ready = False
        async with httpx.AsyncClient(timeout=5, trust_env=False) as client:
            while not ready and time.monotonic() < deadline and proc.returncode is None:
                try:
                    ready = (await client.get(f"http://127.0.0.1:{port}/ready")).status_code == 200
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0 if ready else 0.3)
        assert ready, "the exchange with two workers never became ready"
        workers = [p for p in psutil.Process(proc.pid).children(recursive=True)
                   if "spawn_main" in " ".join(p.cmdline())]
        assert len(workers) == 2, [p.cmdline() for p in psutil.Process(proc.pid).children(recursive=True)]
        listening = {c.laddr.port for w in workers for c in w.net_connections("tcp") if c.status == "LISTEN"}
        assert port in listening  # both share the one socket uvicorn's supervisor bound
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), timeout=30)
            except TimeoutError:
                proc.kill()
                await proc.wait()
