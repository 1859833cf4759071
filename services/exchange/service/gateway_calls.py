"""One gateway call, whatever serves it (the lean ASGI route, or the FastAPI route that documents it): admit the
caller, forward to the provider's registered endpoint, record the call (and a failure's event) before answering.

Nothing here knows the web framework: the call comes in as an `Incoming` and leaves as an `Answer` or a Problem.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import aiohttp
import asyncpg
import orjson
from contracts import new_envelope
from contracts.exchange import CallFailed
from hubkit.auth import Principal
from hubkit.egress import EgressRefused, confined
from hubkit.egress_session import EgressSession
from hubkit.problems import Problem, invalid
from hubkit.telemetry import SECONDS, context_from_headers, meter, tracer
from opentelemetry.trace import SpanKind

from exchange.gateway_state import GatewayState
from exchange.service import admission

_tracer = tracer("gov-hub.exchange.gateway")
_calls = meter().create_counter("hub.gateway.calls", unit="{call}",
                                description="calls through the gateway by outcome (ok, timeout, unavailable, ...)")
_duration = meter().create_histogram("hub.gateway.call.duration", unit="s",
                                     description="how long the provider took to answer a gateway call",
                                     explicit_bucket_boundaries_advisory=SECONDS)
ErrorKind = Literal["timeout", "unavailable", "server_error", "bad_response"]
_FORWARDED_HEADERS = ("content-type", "accept")


@dataclass(frozen=True)
class Incoming:
    method: str
    code: str
    path: str  # what follows the resource code, decoded
    query: Sequence[tuple[str, str]]
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    principal: Principal | None  # the token the request guard admitted, if any
    key: str | None  # a calling system's key, if it called with one


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes
    call_id: str


async def traced(state: GatewayState, pool: asyncpg.Pool, now: datetime, call: Incoming) -> Answer:
    """The call in one server span continuing the caller's trace (the ASGI instrumentation leaves the gateway
    alone: its three spans per request cost a fifth of a call); a failure's event carries it on to Kafka."""
    with _tracer.start_as_current_span(f"{call.method} /gateway/{{code}}", kind=SpanKind.SERVER,
                                       context=context_from_headers(call.headers),
                                       attributes={"http.request.method": call.method,
                                                   "hub.resource_code": call.code}) as span:
        try:
            answer = await proxy(state, pool, now, call)
        except Problem as problem:
            span.set_attribute("http.response.status_code", problem.status)
            raise
        span.set_attribute("http.response.status_code", answer.status)
        return answer


async def proxy(state: GatewayState, pool: asyncpg.Pool, started: datetime, call: Incoming) -> Answer:
    """Deny by default: only a department (its token, or one of its calling systems' keys) holding a usable
    subscription reaches the provider, within the subscription's quota; a call over quota is recorded as
    refused. The call is recorded (whatever its outcome) before the answer goes back, and a failure emits
    exchange.call-failed (envelope unit: the provider)."""
    who = await admission.caller(pool, call.principal, call.key)
    try:  # the consumer's mistake, refused before its quota is touched: a bad request changes nothing
        tail = confined(call.path)
    except EgressRefused as refusal:
        raise invalid(f"path: {refusal}") from None
    try:
        route = (await admission.admit(pool, who, call.code, started, routes=state.routes)).route
    except admission.QuotaRefused as refused:
        call_id = _call_id()
        await state.recorder.record(pool, {
            "id": call_id, "consumer": who.unit, "provider": refused.route["provider"], "resource_code": call.code,
            "started_at": started, "ended_at": started, "duration_ms": 0.0, "status_code": 429, "request_bytes": 0,
            "response_bytes": 0, "succeeded": False, "error": None, "reported": False, "system_id": who.system,
            "refused": "quota"})
        _calls.add(1, {"outcome": "quota"})
        refused.extra["call_id"] = call_id
        raise
    clock = time.perf_counter()
    status: int | None = None
    body, content_type = b"", ""
    exc: Exception | None = None
    if route["base_url"] is None:
        exc = ConnectionError("the provider registered no endpoint")
    else:
        target = route["base_url"].rstrip("/") + "/" + tail
        status, content_type, body, exc = await _forward(state.client, call, target, route["timeout_ms"])
    duration = (time.perf_counter() - clock) * 1000
    error = classify(status, content_type, body, exc)
    _calls.add(1, {"outcome": error or "ok"})
    _duration.record(duration / 1000, {"outcome": error or "ok"})
    call_id = _call_id()
    record = {"id": call_id, "consumer": who.unit, "provider": route["provider"], "resource_code": call.code,
              "started_at": started, "ended_at": started + timedelta(milliseconds=duration),
              "duration_ms": duration, "status_code": status, "request_bytes": len(call.body),
              "response_bytes": len(body), "succeeded": error is None, "error": error, "reported": False,
              "system_id": who.system, "refused": None}
    event = None
    if error is not None:
        failed = CallFailed(call_id=call_id, resource_code=call.code, consumer_unit=who.unit,
                            data_kind=route["data_kind"], error=error)
        event = new_envelope(failed, unit=route["provider"], occurred_at=started)
    await state.recorder.record(pool, record, event)
    if error is not None:
        raise Problem(504 if error == "timeout" else 502, "Bad gateway", f"the provider's call failed: {error}",
                      kind=f"call-{error}", call_id=call_id)
    return Answer(status or 200, content_type, body, call_id)


def _call_id() -> str:
    return f"c-{uuid.uuid4().hex}"


async def _forward(client: EgressSession, call: Incoming, target: str, timeout_ms: int
                   ) -> tuple[int | None, str, bytes, Exception | None]:
    """The provider's answer (status, content type, body) or the failure; the consumer's query string and
    its content-type and accept headers go along, nothing else of the consumer's request does."""
    headers = {k: v for k, v in call.headers.items() if k in _FORWARDED_HEADERS}
    try:
        async with client.request(call.method, target, params=list(call.query) or None, data=call.body or None,
                                  headers=headers,
                                  timeout=aiohttp.ClientTimeout(total=timeout_ms / 1000)) as upstream:
            return upstream.status, upstream.headers.get("content-type", ""), await upstream.read(), None
    except (aiohttp.ClientError, TimeoutError) as failure:
        return None, "", b"", failure


def classify(status: int | None, content_type: str, body: bytes, exc: Exception | None) -> ErrorKind | None:
    """How a call failed, or None when it succeeded."""
    if isinstance(exc, TimeoutError):
        return "timeout"
    if exc is not None:
        return "unavailable"
    if status is None or status >= 500:
        return "server_error"
    if "json" in content_type:
        try:
            orjson.loads(body)
        except orjson.JSONDecodeError:
            return "bad_response"
    return None
