"""Property-based fuzzing of all four HTTP APIs from their OpenAPI documents (schemathesis): whatever
the input, never a server error. The hub runs as `hub up` runs it (real processes, Apache Kafka with
SASL and ACLs, PostgreSQL); requests carry an operator's token (the widest reach) and a department's."""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import pytest
import schemathesis
from hubkit.access import AccessPolicy, Rule, platform_rules, service_rules
from hubkit.auth import Role, mint_token
from hubkit.settings import DEV_SECRET
from hypothesis import HealthCheck, given, settings
from schemathesis.core.errors import SerializationNotPossible

from .conftest import OFFSETS

SERVICES = {name: Path(__file__).parents[2] / "services" / name for name in OFFSETS}

pytestmark = pytest.mark.e2e
OPERATOR = {"Authorization": f"Bearer {mint_token(DEV_SECRET, role='operator', ttl_seconds=7200)}"}
DEPARTMENT = {"Authorization": "Bearer " + mint_token(DEV_SECRET, role="department", unit="11450000MB0000019D",
                                                     ttl_seconds=7200)}
EXAMPLES = int(os.environ.get("HUB_FUZZ_EXAMPLES", "12"))


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


# --- the access matrix: every operation, every role, and a department on another unit -------------------

ROLES = ["operator", "department", "inspector", "auditor", "service"]
OWN, OTHER = "11450000MB0000019D", "11450000MB0000027X"
# Path parameters that are not the unit of an `own` rule: values the routes parse, so an allowed caller
# reaches the use case (which then answers 404, 422, ...) rather than a parameter error.
PARAMS = {"queue": "provider", "month": "2000-01", "webhook_id": "1", "letter_id": "0-0", "path": "x"}


def _rules(service: str) -> dict[str, Rule]:
    return AccessPolicy([*platform_rules(), *service_rules(SERVICES[service] / "access.toml")]).rules


def _caller(role: str | None, unit: str = OWN) -> str | None:
    if role is None:
        return None
    return mint_token(DEV_SECRET, role=role, unit=unit if role == "department" else None, ttl_seconds=3600)


def _call(base: str, rule: Rule, token: str | None, unit: str) -> httpx.Response:
    path = rule.path
    for name in re.findall(r"\{(\w+)(?::\w+)?\}", rule.path):
        value = unit if name == rule.own else PARAMS.get(name, "x")
        path = re.sub(r"\{" + name + r"(?::\w+)?\}", value, path)
    headers, cookies = {}, {}
    if token and rule.cookie:
        cookies[rule.cookie] = token
    elif token:
        headers["Authorization"] = f"Bearer {token}"
    body = {"json": {}} if rule.method in ("POST", "PUT", "PATCH", "DELETE") else {}
    with httpx.Client(base_url=base, cookies=cookies, timeout=30) as client, \
            client.stream(rule.method, path, headers=headers, **body) as response:  # type: ignore[arg-type]
        return response  # the status is all this needs; an SSE stream is closed at once


def _refused_by_guard(response: httpx.Response, status: int) -> bool:
    return response.status_code == status and response.headers.get("content-type", "").startswith(
        "application/problem+json")


@pytest.mark.parametrize("service", list(OFFSETS))
def test_every_operation_is_judged_by_its_rule_for_every_role_and_another_unit(hub_base: int, service: str) -> None:
    base = f"http://127.0.0.1:{hub_base + OFFSETS[service]}"
    rules = _rules(service)
    documented = httpx.get(f"{base}/openapi.json", timeout=30).json()["paths"]
    for path, operations in documented.items():
        for method in operations:
            op = f"{method.upper()} {path.replace('{path}', '{path:path}')}"
            assert op in rules, f"{service}: {op} is in the OpenAPI document but has no access rule"
    wrong: list[str] = []
    for rule in rules.values():
        anonymous = _call(base, rule, None, OWN)
        if rule.public == _refused_by_guard(anonymous, 401):
            wrong.append(f"{rule.operation} without a token: {anonymous.status_code}")
        for role in ROLES:
            for unit in ((OWN, OTHER) if role == "department" else (OWN,)):
                response = _call(base, rule, _caller(role, OWN), unit)
                allowed = rule.public or (Role(role) in rule.roles and not (
                    role == "department" and rule.own and unit != OWN))
                if response.status_code == 401 and not rule.public:
                    wrong.append(f"{rule.operation} as {role}: 401 for a valid token")
                elif allowed and response.status_code == 403:
                    wrong.append(f"{rule.operation} as {role} on {unit}: 403 though the rule allows it")
                elif not allowed and not _refused_by_guard(response, 403):
                    wrong.append(f"{rule.operation} as {role} on {unit}: {response.status_code}, not 403")
    assert not wrong, "\n".join(wrong)
