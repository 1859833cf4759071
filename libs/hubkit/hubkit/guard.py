"""The door every request passes before a route sees it (a pure ASGI middleware).

- Every request is judged by the access rule of the operation it reaches (`hubkit.access`) before
  anything else is read: no valid token is a 401, a role or unit the rule does not allow is a 403,
  and the body is never read (an anonymous 50 MB upload costs nothing; malformed JSON without a
  token is a 401, not a 422). The principal is handed on to the route in the request state.
- Bodies are bounded before they are read: a declared Content-Length over the route's limit is a 413
  at once; a streamed body is counted as it arrives. JSON bodies (small by limit) are read here and
  checked whole; other bodies stream through to the route.
- Writes and gateway calls are rate-limited per token (a token bucket per subject, rates per role;
  429 with Retry-After). The buckets live in the process: N instances allow N times the rate.
- No NUL character reaches PostgreSQL (which cannot store one in text): in the path, the query string,
  a JSON body or a form's (percent-encoded or not), it is a 422 naming where it was.

Everything refused here is an RFC 9457 problem document and changes nothing.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote_to_bytes

import orjson

from .access import AccessPolicy, Rule
from .auth import Principal
from .problems import BASE, PROBLEM_JSON, Problem

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class TooLarge(Exception):
    """A streamed body grew past its limit while the route read it (answered 413 by `problems`)."""


def _has_nul_json(value: Any) -> str | None:
    """The path of the first string (or key) holding a NUL, else None."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return where or "body"
        elif isinstance(item, dict):
            for key, sub in item.items():
                if "\x00" in key:
                    return f"{where}.{key!r}" if where else repr(key)
                stack.append((f"{where}.{key}" if where else key, sub))
        elif isinstance(item, list):
            stack.extend((f"{where}[{i}]", sub) for i, sub in enumerate(item))
    return None


class Bucket:
    """A token bucket: `rate` requests a second on average, `burst` at once."""

    __slots__ = ("burst", "level", "rate", "stamp")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst, self.level, self.stamp = rate, burst, burst, time.monotonic()

    def take(self) -> float:
        """0 when a request may go now; else the seconds until it may."""
        now = time.monotonic()
        self.level = min(self.burst, self.level + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.level >= 1:
            self.level -= 1
            return 0.0
        return (1 - self.level) / self.rate


class RequestGuard:
    def __init__(self, app: ASGIApp, *, verify: Callable[[str], Principal], policy: AccessPolicy,
                 json_limit: int, body_limit: int, limits: dict[str, int] | None = None,
                 write_rates: dict[str, float] | None = None, gateway_rate: float = 0.0) -> None:
        self.app, self.verify, self.policy = app, verify, policy
        self.json_limit, self.body_limit = json_limit, body_limit
        self.limits = sorted((limits or {}).items(), key=lambda kv: -len(kv[0]))  # longest prefix first
        self.write_rates, self.gateway_rate = write_rates or {}, gateway_rate
        self.buckets: dict[tuple[str, str], Bucket] = {}

    def _throttled(self, kind: str, subject: str, rate: float) -> float:
        if rate <= 0:  # 0: not limited
            return 0.0
        if len(self.buckets) > 100_000:  # bounded memory: idle buckets are full anyway
            self.buckets.clear()
        bucket = self.buckets.get((kind, subject))
        if bucket is None:
            bucket = self.buckets[(kind, subject)] = Bucket(rate, max(1.0, rate * 4))
        return bucket.take()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        raw_path = scope.get("raw_path") or path.encode()
        if b"\x00" in unquote_to_bytes(raw_path) or "\x00" in path:
            await _problem(scope, send, 422, "Invalid request", "path: NUL characters are not accepted")
            return
        if b"\x00" in unquote_to_bytes(scope.get("query_string", b"").replace(b"+", b" ")):
            await _problem(scope, send, 422, "Invalid request", "query: NUL characters are not accepted")
            return
        matched = self.policy.match(scope["method"], path)
        if matched is None:  # no operation has this method and path: the router answers 404 or 405
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        try:
            who = self._admit(scope, headers, *matched)
        except Problem as refused:
            await _problem(scope, send, refused.status, refused.title, refused.detail, kind=refused.kind,
                           retry_after=refused.extra.get("retry_after"))
            return
        if who is not None:
            scope.setdefault("state", {})["principal"] = who
        if scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        is_json, is_form = media.endswith("json"), media == "application/x-www-form-urlencoded"
        limit = self._limit(path, is_json or is_form)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _problem(scope, send, 413, "Content too large",
                           f"the body is {int(declared)} bytes; this endpoint takes at most {limit}")
            return
        if is_json or is_form:
            await self._json(scope, receive, send, limit, form=is_form)
        else:
            await self.app(scope, _counting(receive, limit), send)

    def _admit(self, scope: Scope, headers: dict[str, str], rule: Rule, params: dict[str, str]) -> Principal | None:
        """Who calls, if the rule lets them (None for a public operation); else the Problem to answer."""
        who: Principal | None = None
        if rule.key and not headers.get("authorization") and (key := headers.get(rule.key.lower())):
            # The service resolves the key itself; the throttle still applies, per key.
            self._throttle("gateway", "key:" + hashlib.sha256(key.encode()).hexdigest(), self.gateway_rate, "key")
            return None
        if not rule.public:
            try:
                who = self._authenticate(headers, rule)
            except Problem as exc:
                raise Problem(401, "Unauthorized", exc.detail, kind="unauthorized") from None
        if refused := rule.judge(who, params):
            raise refused
        if who is not None:
            gateway = scope.get("path", "").startswith("/gateway/")
            if gateway or scope["method"] in BODY_METHODS:
                kind, rate = ("gateway", self.gateway_rate) if gateway else \
                    ("write", self.write_rates.get(who.role.value, 0.0))
                self._throttle(kind, who.subject, rate, "token")
        return who

    def _throttle(self, kind: str, subject: str, rate: float, holder: str) -> None:
        if wait := self._throttled(kind, subject, rate):
            raise Problem(429, "Too many requests", f"at most {rate:g} {kind} requests a second for this {holder}; "
                          f"retry after {wait:.1f} s", kind="too-many-requests", retry_after=max(1, math.ceil(wait)))

    def _authenticate(self, headers: dict[str, str], rule: Rule) -> Principal:
        authorization = headers.get("authorization", "")
        if not authorization and rule.cookie:
            token = _cookie(headers.get("cookie", ""), rule.cookie)
            if token:
                return self.verify(token)
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Problem(401, "Unauthorized", "this endpoint needs an Authorization: Bearer token")
        return self.verify(token.strip())

    def _limit(self, path: str, is_json: bool) -> int:
        for prefix, limit in self.limits:
            if path.startswith(prefix):
                return limit
        return self.json_limit if is_json else self.body_limit

    async def _json(self, scope: Scope, receive: Receive, send: Send, limit: int, *, form: bool = False) -> None:
        """A JSON body (or a form's: small, and a NUL may hide behind %00) read whole and checked for NULs."""
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay(bytes(body), message), send)
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                await _problem(scope, send, 413, "Content too large", f"this endpoint takes at most {limit} bytes")
                return
        if b"\x00" in body or b"\\u0000" in body:
            where = "body"
            try:
                where = _has_nul_json(orjson.loads(bytes(body))) or ""
            except orjson.JSONDecodeError:
                pass  # not JSON: the route answers that with a 422
            if where or b"\x00" in body:
                detail = f"{where or 'body'}: NUL characters are not accepted"
                await _problem(scope, send, 422, "Invalid request", detail)
                return
        if form and b"\x00" in unquote_to_bytes(bytes(body).replace(b"+", b" ")):
            await _problem(scope, send, 422, "Invalid request", "body: NUL characters are not accepted")
            return
        await self.app(scope, _replay(bytes(body)), send)


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value.strip('"') or None
    return None


def _replay(body: bytes, then: Message | None = None) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return then or {"type": "http.disconnect"}

    return receive


def _counting(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise TooLarge(limit)
        return message

    return counted


async def _problem(scope: Scope, send: Send, status: int, title: str, detail: str, *, kind: str | None = None,
                   retry_after: int | None = None) -> None:
    body = orjson.dumps({"type": BASE + (kind or title.lower().replace(" ", "-")), "title": title, "status": status,
                         "detail": detail, "instance": scope.get("path", "")})
    headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
