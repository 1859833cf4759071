"""The reported scenario: `hub up`, a finding (A1.1: 99.00), `hub down`, `hub up`, another (A1.2: 97.00).

Before the fix the second finding, answered 202, never counted: the projection's stored offset
lay beyond the new log's end (Tansu keeps its log in memory). It must be in the score within
seconds, on Apache Kafka (durable restart) and on Tansu (log lost, re-seeded by the relays).
"""

import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from contracts.values import make_uscc
from hubkit.auth import mint_token
from hubkit.runtime.apache_kafka import find_java
from hubkit.runtime.ports import free_port_block
from hubkit.settings import DEV_SECRET

pytestmark = pytest.mark.e2e
KINDS = ["tansu", *(["kafka"] if find_java() else [])]


def _ports() -> int:
    base = free_port_block(10)  # below the ephemeral range: no client takes a port before the hub
    return base


def _score(base: int, unit: str, month: str, operator: dict[str, str]) -> str | None:
    r = httpx.get(f"http://127.0.0.1:{base + 4}/scores/{unit}", params={"month": month}, headers=operator, timeout=5)
    return r.json()["x"] if r.status_code == 200 else None


def _wait_score(base: int, unit: str, month: str, operator: dict[str, str], x: str, timeout: float) -> float:
    started = time.monotonic()
    seen = None
    while time.monotonic() - started < timeout:
        seen = _score(base, unit, month, operator)
        if seen == x:
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"score of {unit} is {seen}, expected {x}")


@pytest.mark.parametrize("kind", KINDS)
def test_a_finding_accepted_after_a_restart_counts(tmp_path: Path, kind: str) -> None:
    base = _ports()
    env = {k: v for k, v in os.environ.items() if k not in ("HUB_DATABASE_URL", "HUB_KAFKA_BOOTSTRAP")}
    env.update(HUB_HOME=str(tmp_path / "hub"), HUB_PORT_BASE=str(base), HUB_PG_PORT=str(base + 6),
               HUB_KAFKA_PORT=str(base + 7), HUB_BROKER=kind)
    env.pop("HUB_KAFKA_IDEMPOTENT", None)  # the launcher decides from the broker
    hub = [sys.executable, "-m", "hubkit.cli"]
    operator = {"Authorization": f"Bearer {mint_token(DEV_SECRET, role='operator')}"}
    inspector = {"Authorization": f"Bearer {mint_token(DEV_SECRET, role='inspector')}"}
    unit = make_uscc("450000", uuid.uuid4().hex[:8].upper())
    now = datetime.now(UTC).astimezone()
    month = now.astimezone().strftime("%Y-%m")

    def finding(item: str) -> dict[str, str]:
        return {"finding_id": f"f-{item}-{unit}", "unit": unit, "item": item, "effect": "holds",
                "occurred_at": datetime.now(UTC).isoformat()}

    try:
        up = subprocess.run([*hub, "up", "--detach"], env=env, capture_output=True, text=True, timeout=180)
        assert up.returncode == 0, up.stderr[-2000:]
        r = httpx.put(f"http://127.0.0.1:{base + 1}/units/{unit}", headers=operator, timeout=10,
                      json={"uscc": unit, "name": "自治区重启测试厅", "kind": "department", "division_code": "450000"})
        assert r.status_code in (200, 201), r.text
        r = httpx.post(f"http://127.0.0.1:{base + 4}/findings", headers=inspector, json=finding("A1.1"), timeout=10)
        assert r.status_code == 202, r.text
        _wait_score(base, unit, month, operator, "99.00", 30)

        down = subprocess.run([*hub, "down"], env=env, capture_output=True, text=True, timeout=90)
        assert down.returncode == 0, down.stderr[-2000:]
        up = subprocess.run([*hub, "up", "--detach"], env=env, capture_output=True, text=True, timeout=180)
        assert up.returncode == 0, up.stderr[-2000:]
        r = httpx.post(f"http://127.0.0.1:{base + 4}/findings", headers=inspector, json=finding("A1.2"), timeout=10)
        assert r.status_code == 202, r.text
        took = _wait_score(base, unit, month, operator, "97.00", 30)  # A1.2 costs 2
        assert took < 30
    finally:
        subprocess.run([*hub, "down"], env=env, capture_output=True, text=True, timeout=90)
