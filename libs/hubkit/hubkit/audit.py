"""The audit trail: who did what to which target, with what outcome, in each service's own schema.

Recorded (by `AuditTrail`, an ASGI middleware, after the answer is known): every write (POST, PUT,
PATCH, DELETE), every refused authentication or authorisation (401/403 on any method), and the reads
a service declares personal (`ServiceSpec.audited_reads`, e.g. a license file download). A route may
name its target more precisely than its path (`note_target`), e.g. the keyed hash of a holder id, so
that "who looked up holder X" has an answer without the trail holding the id. Rows are append-only:
the table refuses UPDATE and DELETE. Every answer carries its `X-Request-Id`, which the row keeps.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from .auth import CurrentPrincipal, Principal, Role
from .problems import Problem
from .telemetry import get_logger

log = get_logger(__name__)
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
QUIET = ("/health", "/ready", "/docs", "/openapi.json", "/redoc")


def note_target(request: Request, target: str) -> None:
    """Name what this request acted on, for the trail (instead of its path)."""
    request.scope.setdefault("state", {})["audit_target"] = target


class AuditTrail:
    def __init__(self, app: ASGIApp, *, pool: Callable[[], Any], verify: Callable[[str], Principal],
                 reads: list[str] | None = None) -> None:
        self.app, self.pool, self.verify = app, pool, verify
        self.reads = [re.compile(p) for p in reads or []]

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith(QUIET):
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            method, path = scope["method"], scope.get("path", "")
            personal = method == "GET" and any(p.match(path) for p in self.reads)
            if method in WRITES or status in (401, 403) or personal:
                await self._record(scope, request_id, status, personal)

    async def _record(self, scope: Scope, request_id: str, status: int, personal: bool) -> None:
        who = self._who(scope)
        target = (scope.get("state") or {}).get("audit_target") or scope.get("path", "")
        outcome = "ok" if status < 400 else "denied" if status in (401, 403) else f"failed {status}"
        route = getattr(scope.get("route"), "path", None) or scope.get("path", "")
        action = ("read personal data: " if personal else "") + f"{scope['method']} {route}"
        try:
            await self.pool().execute(
                "INSERT INTO audit (actor, role, unit, action, target, outcome, status, request_id) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                who.subject if who else "anonymous", who.role.value if who else None, who.unit if who else None,
                action, target[:500], outcome, status, request_id)
        except Exception as exc:  # the answer is given; a lost row is logged loudly, never silent
            log.error("audit row not written", error=repr(exc), request_id=request_id, target=target)

    def _who(self, scope: Scope) -> Principal | None:
        """The caller the guard admitted (its principal is in the request state); for a request the
        guard refused, whoever the token names, so that a denial records who was denied."""
        admitted = (scope.get("state") or {}).get("principal")
        if isinstance(admitted, Principal):
            return admitted
        headers = dict(scope.get("headers") or [])
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        try:
            return self.verify(token.strip())
        except Problem:
            return None


router = APIRouter(tags=["audit"])


@router.get("/audit", summary="The audit trail of this service (auditors and the bureau)")
async def read_trail(request: Request, principal: CurrentPrincipal,
                     actor: str | None = None, target: str | None = None, action: str | None = None,
                     outcome: str | None = None,
                     from_: Annotated[datetime | None, Query(alias="from")] = None,
                     to: datetime | None = None,
                     limit: Annotated[int, Query(ge=1, le=10_000)] = 500) -> dict[str, Any]:
    principal.require(Role.auditor, Role.operator)
    hook = getattr(request.app.state, "audit_target_of", None)  # e.g. a holder id → its keyed hash
    if target is not None and hook is not None:
        target = hook(target)
    rows = await request.app.state.host.pool.fetch(
        "SELECT at, actor, role, unit, action, target, outcome, status, request_id FROM audit "
        "WHERE ($1::text IS NULL OR actor = $1) AND ($2::text IS NULL OR target = $2) "
        "AND ($3::text IS NULL OR action LIKE '%' || $3 || '%') AND ($4::text IS NULL OR outcome = $4) "
        "AND ($5::timestamptz IS NULL OR at >= $5) AND ($6::timestamptz IS NULL OR at < $6) "
        "ORDER BY id DESC LIMIT $7", actor, target, action, outcome, from_, to, limit)
    return {"entries": [{**dict(r), "at": r["at"].isoformat()} for r in rows]}
