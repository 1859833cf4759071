"""Access rules as data (#14.5): parsed strictly, matched like the router, applied by the request guard
before a body is read; a service whose routes and rules differ does not start; docs/ACCESS.md is the
rules. No servers needed."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from hubkit.access import AccessPolicy, hub_matrix, load_rules
from hubkit.auth import Principal, Role, mint_token
from hubkit.guard import RequestGuard
from hubkit.oidc import TokenVerifier
from hubkit.runtime.launcher import NAMES
from hubkit.settings import DEV_SECRET

ROOT = Path(__file__).parents[2]
RULES = """
["GET /things"]
roles = "any"

["GET /things/{unit}"]
roles = ["department", "operator"]
own = "unit"

["GET /things/special"]
roles = ["operator"]

["POST /things/{unit}/notes"]
roles = ["department"]
own = "unit"

["GET /pipe/{code}/{path:path}"]
roles = ["department"]

["GET /open"]
roles = "public"

["GET /page"]
roles = ["operator"]
cookie = "session"
"""


def policy() -> AccessPolicy:
    return AccessPolicy(load_rules(RULES, "test"))


def who(role: str, unit: str | None = None) -> Principal:
    return Principal(subject=f"{role}:x", role=Role(role), unit=unit)


def test_a_request_meets_the_rule_of_the_operation_the_router_would_pick() -> None:
    p = policy()
    rule, params = p.match("GET", "/things/special")  # type: ignore[misc]
    assert rule.operation == "GET /things/special" and params == {}
    rule, params = p.match("GET", "/things/U1")  # type: ignore[misc]
    assert rule.operation == "GET /things/{unit}" and params == {"unit": "U1"}
    rule, params = p.match("HEAD", "/things")  # type: ignore[misc]
    assert rule.operation == "GET /things"
    rule, params = p.match("GET", "/pipe/R1/a/b/c")  # type: ignore[misc]
    assert params == {"code": "R1", "path": "a/b/c"}
    assert p.match("DELETE", "/things/U1") is None  # the router answers 405
    assert p.match("GET", "/elsewhere") is None  # and 404


def test_roles_and_own_units_are_judged() -> None:
    p = policy()
    own, _ = p.match("GET", "/things/U1")  # type: ignore[misc]
    assert own.judge(None, {"unit": "U1"}).status == 401  # type: ignore[union-attr]
    assert own.judge(who("auditor"), {"unit": "U1"}).status == 403  # type: ignore[union-attr]
    assert own.judge(who("department", "U2"), {"unit": "U1"}).status == 403  # type: ignore[union-attr]
    assert own.judge(who("department", "U1"), {"unit": "U1"}) is None
    assert own.judge(who("operator"), {"unit": "U1"}) is None
    public, _ = p.match("GET", "/open")  # type: ignore[misc]
    assert public.judge(None, {}) is None


@pytest.mark.parametrize("text, error", [
    ('["GET /a/{b}"]\nroles = ["department"]\nown = "unit"', "not a path parameter"),
    ('["GET /a"]\nroles = ["mayor"]', "mayor"),
    ('["GET /a"]\nroles = []', "roles must be"),
    ('["GET /a"]\nroles = "any"\nwho = "me"', "unknown keys"),
    ('["FETCH /a"]\nroles = "any"', "METHOD /path"),
])
def test_a_rule_file_with_a_mistake_is_refused(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        AccessPolicy(load_rules(text, "test"))


def test_routes_and_rules_must_agree() -> None:
    p = policy()
    with pytest.raises(RuntimeError, match=r"without a rule.*GET /new"):
        p.check_covers([*p.rules, "GET /new"], "svc")
    with pytest.raises(RuntimeError, match=r"rules without a route.*GET /open"):
        p.check_covers([op for op in p.rules if op != "GET /open"], "svc")
    p.check_covers(list(p.rules), "svc")


@pytest.mark.parametrize("name", NAMES)
def test_every_service_has_a_rule_for_every_route_it_serves(name: str) -> None:
    spec = importlib.import_module(f"{name}.bootstrap").spec()
    spec.access_policy().check_covers(spec.operations(), name)


def test_the_written_matrix_is_the_rules() -> None:
    written = (ROOT / "docs" / "ACCESS.md").read_text("utf-8")
    assert written == hub_matrix(NAMES), "docs/ACCESS.md is stale: run `hub access-matrix --write docs/ACCESS.md`"


class Recorder:
    """The app behind the guard: records what reached it and whether the body was read."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls.append(dict(scope.get("state") or {}))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def through_guard(method: str, path: str, *, token: str | None = None, cookie: str | None = None,
                        body: bytes = b"{}") -> tuple[int, Recorder, bool]:
    inner = Recorder()
    guard = RequestGuard(inner, verify=TokenVerifier(DEV_SECRET).verify, policy=policy(), json_limit=1 << 20,
                         body_limit=1 << 20)
    headers = [(b"content-type", b"application/json")]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    read = False

    async def receive() -> dict[str, Any]:
        nonlocal read
        read = True
        return {"type": "http.request", "body": body, "more_body": False}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": headers}
    await guard(scope, receive, send)
    return sent[0]["status"], inner, read


async def test_the_guard_refuses_before_the_body_is_read_and_hands_the_principal_on() -> None:
    dept_u1 = mint_token(DEV_SECRET, role="department", unit="U1")
    status, inner, read = await through_guard("POST", "/things/U2/notes", token=dept_u1, body=b"x" * 100)
    assert (status, inner.calls, read) == (403, [], False)
    status, inner, read = await through_guard("POST", "/things/U1/notes", token=mint_token(DEV_SECRET, role="operator"))
    assert (status, inner.calls, read) == (403, [], False)
    status, inner, read = await through_guard("POST", "/things/U1/notes", body=b"not json")
    assert (status, inner.calls, read) == (401, [], False)
    status, inner, read = await through_guard("POST", "/things/U1/notes", token=dept_u1)
    assert status == 200 and read and inner.calls[0]["principal"].unit == "U1"
    status, inner, _ = await through_guard("GET", "/things/U2", token=dept_u1)  # reads are judged too
    assert (status, inner.calls) == (403, [])
    status, inner, _ = await through_guard("GET", "/open")
    assert status == 200 and "principal" not in inner.calls[0]


async def test_a_cookie_carries_the_token_only_where_the_rule_says() -> None:
    operator = mint_token(DEV_SECRET, role="operator")
    assert (await through_guard("GET", "/page", cookie=f"other=1; session={operator}"))[0] == 200
    assert (await through_guard("GET", "/things/special", cookie=f"session={operator}"))[0] == 401
    department = mint_token(DEV_SECRET, role="department", unit="U1")
    assert (await through_guard("GET", "/page", cookie=f"session={department}"))[0] == 403
