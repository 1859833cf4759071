"""`hub up` on a clean directory: servers, topics, migrations, four healthy services; `hub down` stops it."""

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from hubkit.runtime.ports import free_port_block

pytestmark = pytest.mark.e2e


def test_hub_up_brings_four_healthy_services_and_hub_down_stops_them(tmp_path: Path) -> None:
    base = free_port_block(10)  # below the ephemeral range: no client takes a port before the hub
    env = {k: v for k, v in os.environ.items() if k not in ("HUB_DATABASE_URL", "HUB_KAFKA_BOOTSTRAP")}
    env.update(HUB_HOME=str(tmp_path / "hub"), HUB_PORT_BASE=str(base), HUB_PG_PORT=str(base + 6),
               HUB_KAFKA_PORT=str(base + 7))
    hub = [sys.executable, "-m", "hubkit.cli"]
    started = time.monotonic()
    up = subprocess.run([*hub, "up", "--detach"], env=env, capture_output=True, text=True, timeout=120)
    try:
        assert up.returncode == 0, up.stderr[-2000:]
        assert time.monotonic() - started < 60
        for i, name in enumerate(("catalog", "exchange", "elicense", "scoring"), start=1):
            health = httpx.get(f"http://127.0.0.1:{base + i}/health", timeout=5).json()
            assert health == {"status": "ok", "service": name}
            ready = httpx.get(f"http://127.0.0.1:{base + i}/ready", timeout=5)
            assert ready.json()["checks"]["database"] == "ok"
            assert httpx.get(f"http://127.0.0.1:{base + i}/openapi.json", timeout=5).status_code == 200
        assert "catalog" in up.stderr and "scoring" in up.stderr
        load = subprocess.run([*hub, "catalog", "load-units", "--url", f"http://127.0.0.1:{base + 1}"], env=env,
                              capture_output=True, text=True, timeout=120)
        assert load.returncode == 0, load.stderr[-2000:]
        assert "76 units registered (76 new or changed), 0 rejected" in load.stderr
    finally:
        down = subprocess.run([*hub, "down"], env=env, capture_output=True, text=True, timeout=60)
    assert down.returncode == 0
    for i, name in enumerate(("catalog", "exchange", "elicense", "scoring"), start=1):
        assert _free(base + i), f"{name} still listening after hub down"
    assert "scoring" in down.stderr and "postgres" in down.stderr


def test_a_busy_port_gives_one_clear_line(tmp_path: Path) -> None:
    import socket

    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    env = {k: v for k, v in os.environ.items() if k not in ("HUB_DATABASE_URL", "HUB_KAFKA_BOOTSTRAP")}
    env.update(HUB_HOME=str(tmp_path / "hub"), HUB_PG_PORT=str(blocker.getsockname()[1]))
    try:
        run = subprocess.run([sys.executable, "-m", "hubkit.cli", "up"], env=env, capture_output=True,
                             text=True, timeout=60)
    finally:
        blocker.close()
    assert run.returncode == 1
    assert "PostgreSQL cannot start" in run.stderr and "already in use" in run.stderr
    assert "Traceback" not in run.stderr


def _free(port: int) -> bool:
    from hubkit.runtime.ports import port_is_free

    return port_is_free(port)


def test_a_state_file_left_by_a_dead_hub_does_not_block_the_next_start(tmp_path: Path) -> None:
    import json

    from hubkit.runtime.launcher import running_state

    home = tmp_path / "hub"
    home.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (home / "state.json").write_text(json.dumps({"supervisor_pid": dead.pid, "services": {}}))
    assert running_state(home) is None and not (home / "state.json").exists()
    (home / "state.json").write_text(json.dumps({"supervisor_pid": os.getpid(), "services": {}}))
    assert running_state(home) is not None
