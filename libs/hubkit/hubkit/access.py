"""Who may call what, as data: one rule per operation, applied before a route sees the request.

Each service keeps its rules in `access.toml` beside its code, the platform's own operations (audit,
clock, ops, health) in `hubkit/access.toml`. A rule names the roles that may call the operation and,
where the operation is about one unit, the path parameter that holds it: a department may then call
it for its own unit only. The request guard applies the rule before the body is read or validated,
so a caller without the right role learns nothing from a validation error and costs nothing. Finer
checks that need the stored object (the owner of a resource, the issuer of a license) stay with the
use case, and the rule says so in its `scope`.

An operation no rule names is refused, and a service whose routes and rules differ does not start:
a new route cannot be reached until someone wrote down who may call it. `hub access-matrix` prints
the rules as the table in `docs/ACCESS.md`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from starlette.routing import compile_path

from .auth import Principal, Role
from .problems import Problem

ANY = "any"  # any signed-in role
PUBLIC = "public"  # no credential at all
ALL_ROLES = frozenset(Role)
OPERATION = re.compile(r"^(GET|POST|PUT|PATCH|DELETE) (/\S*)$")


@dataclass(frozen=True)
class Rule:
    method: str
    path: str
    roles: frozenset[Role]  # empty for a public operation
    public: bool = False
    own: str | None = None  # path parameter naming the unit a department must be
    cookie: str | None = None  # a cookie that may carry the bearer token instead of the header (the console)
    # A header that may carry a service's own key (a calling system's) instead of a bearer token: the guard
    # lets the request through unjudged and the route resolves the key (the service keeps the keys).
    key: str | None = None
    scope: str = ""  # what the use case checks further, in words

    @property
    def operation(self) -> str:
        return f"{self.method} {self.path}"

    def judge(self, who: Principal | None, params: dict[str, str]) -> Problem | None:
        """None when `who` may call this with these path parameters; else the 401/403 to answer."""
        if self.public:
            return None
        if who is None:
            return Problem(401, "Unauthorized", "this endpoint needs an Authorization: Bearer token",
                           kind="unauthorized")
        if who.role not in self.roles:
            allowed = ", ".join(sorted(r.value for r in self.roles))
            return Problem(403, "Forbidden", f"role {who.role.value} may not call {self.operation} "
                                             f"(allowed: {allowed})", kind="forbidden")
        if self.own and who.role is Role.department and params.get(self.own) != who.unit:
            return Problem(403, "Forbidden", f"a department token for {who.unit} cannot act on "
                                             f"{self.own} {params.get(self.own)}", kind="forbidden")
        return None


def _rule(operation: str, raw: dict[str, Any], source: str) -> Rule:
    m = OPERATION.match(operation)
    if not m:
        raise ValueError(f"{source}: {operation!r} is not 'METHOD /path'")
    unknown = set(raw) - {"roles", "own", "cookie", "key", "scope"}
    if unknown:
        raise ValueError(f"{source}: {operation}: unknown keys {sorted(unknown)}")
    roles_raw = raw.get("roles")
    if roles_raw == PUBLIC:
        return Rule(m[1], m[2], frozenset(), public=True, scope=str(raw.get("scope", "")))
    if roles_raw == ANY:
        roles = ALL_ROLES
    elif isinstance(roles_raw, list) and roles_raw:
        roles = frozenset(Role(r) for r in roles_raw)
    else:
        raise ValueError(f"{source}: {operation}: roles must be 'public', 'any' or a list of roles")
    own = raw.get("own")
    if own is not None and "{" + own + "}" not in m[2] and "{" + own + ":" not in m[2]:
        raise ValueError(f"{source}: {operation}: own names {own!r}, which is not a path parameter")
    return Rule(m[1], m[2], roles, own=own, cookie=raw.get("cookie"), key=raw.get("key"),
                scope=str(raw.get("scope", "")))


def load_rules(text: str, source: str) -> list[Rule]:
    return [_rule(op, raw, source) for op, raw in tomllib.loads(text).items()]


def platform_rules() -> list[Rule]:
    return load_rules((resources.files("hubkit") / "access.toml").read_text("utf-8"), "hubkit/access.toml")


def service_rules(path: Path) -> list[Rule]:
    return load_rules(path.read_text("utf-8"), str(path))


@dataclass(frozen=True)
class _Compiled:
    rule: Rule
    regex: re.Pattern[str]
    literal: int  # characters outside parameters: a more literal template wins (/requests/x vs /requests/{id})


class AccessPolicy:
    """The rules of one service, matched against request paths the way the router matches them."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules: dict[str, Rule] = {}
        for rule in rules:
            if rule.operation in self.rules:
                raise ValueError(f"two rules for {rule.operation}")
            self.rules[rule.operation] = rule
        self._by_method: dict[str, list[_Compiled]] = {}
        for rule in self.rules.values():
            regex, _, _ = compile_path(rule.path)
            literal = len(re.sub(r"\{[^}]*\}", "", rule.path))
            self._by_method.setdefault(rule.method, []).append(_Compiled(rule, regex, literal))
        for compiled in self._by_method.values():
            compiled.sort(key=lambda c: -c.literal)

    def match(self, method: str, path: str) -> tuple[Rule, dict[str, str]] | None:
        """The rule of the operation this request reaches, with its path parameters; None when no
        operation has this method and path (the router answers 404 or 405)."""
        for c in self._by_method.get("GET" if method == "HEAD" else method, ()):
            m = c.regex.match(path)
            if m:
                return c.rule, m.groupdict()
        return None

    def check_covers(self, operations: Iterable[str], service: str) -> None:
        """Refuse to start when an operation has no rule or a rule names no operation."""
        ops = set(operations)
        missing, stale = sorted(ops - set(self.rules)), sorted(set(self.rules) - ops)
        if missing or stale:
            raise RuntimeError(f"{service}: the access rules and the routes differ; without a rule: {missing}; "
                               f"rules without a route: {stale} (edit the service's access.toml)")


def role_cell(rule: Rule, role: Role) -> str:
    """One cell of the matrix: who of this role may call the operation."""
    if rule.public:
        return "public"
    if role not in rule.roles:
        return "—"
    if rule.own and role is Role.department:
        return f"own {rule.own}"
    return "yes"


def matrix_markdown(sections: dict[str, Iterable[Rule]]) -> str:
    """`docs/ACCESS.md`: every operation, by role, a section per service (and one for the platform's
    operations, which every service has)."""
    roles = list(Role)
    out = ["# Who may call what", "",
           "Generated by `hub access-matrix` from `libs/hubkit/hubkit/access.toml` and each service's "
           "`access.toml`; a test keeps it equal to them, and `tests/e2e/test_openapi.py` calls every "
           "operation of a running hub as every role (and as a department on another unit) to check the "
           "hub behaves as written here. The request guard applies these rules before a route reads the "
           "request: a role without a cell is refused with 403, a request without a token with 401, and a "
           "department may call an operation marked *own* only for its own unit. The last column says what "
           "the use case checks further, on the stored object.", ""]
    for name, rules in sections.items():
        out += [f"## {name}", "", "| operation | " + " | ".join(r.value for r in roles) + " | further checks |",
                "|---|" + "---|" * len(roles) + "---|"]
        for rule in sorted(rules, key=lambda r: (r.path, r.method)):
            cells = " | ".join(role_cell(rule, r) for r in roles)
            scope = rule.scope + (f" (or a key in `{rule.key}`)" if rule.key else "")
            out.append(f"| `{rule.operation}` | {cells} | {scope.replace('|', '/')} |")
        out.append("")
    return "\n".join(out)


def hub_matrix(services: Iterable[str]) -> str:
    """The matrix of the platform and the named services (their `access.toml` is package data)."""
    sections: dict[str, Iterable[Rule]] = {"every service (the platform's operations)": platform_rules()}
    for name in services:
        path = resources.files(name) / "access.toml"
        sections[name] = load_rules(path.read_text("utf-8"), f"{name}/access.toml")
    return matrix_markdown(sections)
