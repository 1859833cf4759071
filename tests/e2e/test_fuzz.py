"""Property-based fuzzing of all four HTTP APIs from their OpenAPI documents (schemathesis): whatever
the input, never a server error. The hub runs as `hub up` runs it (real processes, Apache Kafka with
SASL and ACLs, PostgreSQL); requests carry an operator's token (the widest reach) and a department's."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hubkit.auth import mint_token
from hubkit.runtime.ports import free_port, port_is_free
from hubkit.settings import DEV_SECRET
from hypothesis import HealthCheck, given, settings
from schemathesis.core.errors import SerializationNotPossible

pytestmark = pytest.mark.e2e
OPERATOR = {"Authorization": f"Bearer {mint_token(DEV_SECRET, role='operator', ttl_seconds=7200)}"}
DEPARTMENT = {"Authorization": "Bearer " + mint_token(DEV_SECRET, role="department", unit="11450000MB0000019D",
                                                     ttl_seconds=7200)}
OFFSETS = {"catalog": 1, "exchange": 2, "elicense": 3, "scoring": 4}
EXAMPLES = int(os.environ.get("HUB_FUZZ_EXAMPLES", "12"))


@pytest.fixture(scope="module")
def hub_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    base = free_port() // 10 * 10
    while any(not port_is_free(base + i) for i in range(1, 5)):
        base = free_port() // 10 * 10
    env = {k: v for k, v in os.environ.items() if k not in ("HUB_DATABASE_URL", "HUB_KAFKA_BOOTSTRAP")}
    env.update(HUB_HOME=str(Path(tmp_path_factory.mktemp("fuzz")) / "hub"), HUB_PORT_BASE=str(base),
               HUB_PG_PORT=str(free_port()), HUB_KAFKA_PORT=str(free_port()))
    env.pop("HUB_KAFKA_IDEMPOTENT", None)
    hub = [sys.executable, "-m", "hubkit.cli"]
    up = subprocess.run([*hub, "up", "--detach"], env=env, capture_output=True, text=True, timeout=180)
    assert up.returncode == 0, up.stderr[-2000:]
    try:
        yield base
    finally:
        subprocess.run([*hub, "down"], env=env, capture_output=True, text=True, timeout=90)


FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)


def no_server_error(case: schemathesis.Case) -> None:
    for headers in (OPERATOR, DEPARTMENT):
        response = case.call(headers=headers, timeout=30)
        assert response.status_code < 500, (case.method, case.formatted_path, response.status_code,
                                             response.text[:500])


@pytest.mark.parametrize("service", list(OFFSETS))
def test_no_input_makes_a_server_error(hub_base: int, service: str) -> None:
    schema = schemathesis.openapi.from_url(f"http://127.0.0.1:{hub_base + OFFSETS[service]}/openapi.json")
    # An SSE stream never ends: it is tested where it is built, not by a fuzzer waiting for its end.
    schema = schema.exclude(path_regex=r".*/stream$")
    failures: list[str] = []
    skipped: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @FUZZ
        @given(case=operation.as_strategy())
        def fuzz(case: schemathesis.Case) -> None:
            no_server_error(case)

        try:
            fuzz()
        except AssertionError as failure:
            failures.append(f"{operation.label}: {failure}")
        except SerializationNotPossible:  # raw file and JSON Lines bodies: covered by their own tests
            skipped.append(operation.label)
    assert operations - len(skipped) >= 5 and len(skipped) <= 3, skipped
    assert not failures, "\n".join(failures)
