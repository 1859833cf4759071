"""One hub started as `hub up` starts it (real processes, Apache Kafka with SASL and ACLs, PostgreSQL),
for the tests of a module that only need it running (the fuzzer and the access matrix share one)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hubkit.runtime.ports import free_port_block

OFFSETS = {"catalog": 1, "exchange": 2, "elicense": 3, "scoring": 4}


@pytest.fixture(scope="module")
def hub_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The port base of a running hub (service `s` answers on base + OFFSETS[s])."""
    base = free_port_block(10)  # below the ephemeral range: no client takes a port before the hub
    env = {k: v for k, v in os.environ.items() if k not in ("HUB_DATABASE_URL", "HUB_KAFKA_BOOTSTRAP")}
    env.update(HUB_HOME=str(Path(tmp_path_factory.mktemp("e2e-hub")) / "hub"), HUB_PORT_BASE=str(base),
               HUB_PG_PORT=str(base + 6), HUB_KAFKA_PORT=str(base + 7))
    env.pop("HUB_KAFKA_IDEMPOTENT", None)
    hub = [sys.executable, "-m", "hubkit.cli"]
    up = subprocess.run([*hub, "up", "--detach"], env=env, capture_output=True, text=True, timeout=180)
    assert up.returncode == 0, up.stderr[-2000:]
    try:
        yield base
    finally:
        subprocess.run([*hub, "down"], env=env, capture_output=True, text=True, timeout=90)
