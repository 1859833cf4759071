"""One hub started as `hub up` starts it (real processes, Apache Kafka with SASL and ACLs, PostgreSQL),
for the tests of a module that only need it running (the fuzzer and the access matrix share one)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hubkit.runtime.children import dying_with_parent
from hubkit.runtime.ports import free_port_block
from hubkit.testing import server_workdir

OFFSETS = {"catalog": 1, "exchange": 2, "elicense": 3, "scoring": 4}


@pytest.fixture(scope="module")
def hub_base() -> Iterator[int]:
    """The port base of a running hub (service `s` answers on base + OFFSETS[s])."""
    # Outside pytest's tree: another pytest session on the machine would make it unreadable to the hub's PostgreSQL.
    with server_workdir("e2e-hub") as workdir:
        yield from _running_hub(workdir)


def _running_hub(workdir: Path) -> Iterator[int]:
    base = free_port_block(10)  # below the ephemeral range: no client takes a port before the hub
    env = {k: v for k, v in os.environ.items() if k not in ("HUB_DATABASE_URL", "HUB_KAFKA_BOOTSTRAP")}
    env.update(HUB_HOME=str(workdir / "hub"), HUB_PORT_BASE=str(base),
               HUB_PG_PORT=str(base + 6), HUB_KAFKA_PORT=str(base + 7))
    env.pop("HUB_KAFKA_IDEMPOTENT", None)
    hub = [sys.executable, "-m", "hubkit.cli"]
    # Supervised, as `hub up` runs in a terminal, and tied to this test run: a run killed outright (no teardown)
    # takes the hub with it instead of leaving its services retrying against a database that is gone.
    log = open(Path(env["HUB_HOME"]).parent / "hub-up.log", "wb")  # closed at teardown
    up = subprocess.Popen(dying_with_parent([*hub, "up"]), env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(up, base, Path(log.name))
        yield base
    finally:
        up.send_signal(signal.SIGTERM)  # `hub up` stops everything it started
        try:
            up.wait(timeout=90)
        except subprocess.TimeoutExpired:
            up.kill()
            subprocess.run([*hub, "down"], env=env, capture_output=True, text=True, timeout=90)
        log.close()


def _wait_healthy(up: subprocess.Popen[bytes], base: int, log: Path, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    pending = {base + offset for offset in OFFSETS.values()}
    while pending:
        if up.poll() is not None:
            raise AssertionError(f"hub up exited with {up.returncode}: {log.read_text(errors='replace')[-2000:]}")
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:]
            raise AssertionError(f"the hub was not healthy within {timeout:.0f}s: {tail}")
        for port in list(pending):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.5).status_code == 200:
                    pending.discard(port)
            except httpx.HTTPError:
                pass
        time.sleep(0.2)
