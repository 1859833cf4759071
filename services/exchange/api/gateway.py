"""The call gateway: consumers reach a provider's mounted API through the exchange (deny by default);
every call is recorded, and every failure emits exchange.call-failed. Providers that do not go through
the gateway report their call records in batches."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import aiohttp
import orjson
from contracts import new_envelope
from contracts.exchange import CallFailed
from contracts.values import ResourceCode, Uscc
from fastapi import APIRouter, Header, Request, Response
from hubkit import deps
from hubkit.auth import CurrentPrincipal
from hubkit.deps import pool
from hubkit.egress import EgressRefused, confined
from hubkit.egress_session import EgressSession
from hubkit.problems import Problem, invalid
from hubkit.telemetry import SECONDS, context_from_headers, meter, tracer
from opentelemetry.trace import SpanKind
from pydantic import AnyHttpUrl, AwareDatetime, BaseModel, Field

from exchange.api.common import uow
from exchange.gateway_state import GatewayState
from exchange.service import admission, handlers
from exchange.service import commands as c

router = APIRouter(tags=["gateway"])
_tracer = tracer("gov-hub.exchange.gateway")
_calls = meter().create_counter("hub.gateway.calls", unit="{call}",
                                description="calls through the gateway by outcome (ok, timeout, unavailable, ...)")
_duration = meter().create_histogram("hub.gateway.call.duration", unit="s",
                                     description="how long the provider took to answer a gateway call",
                                     explicit_bucket_boundaries_advisory=SECONDS)
ErrorKind = Literal["timeout", "unavailable", "server_error", "bad_response"]
_FORWARDED_HEADERS = ("content-type", "accept")


class EndpointBody(BaseModel):
    base_url: AnyHttpUrl = Field(description="the provider system's base URL for this resource")
    timeout_ms: int = Field(5000, ge=100, le=120_000)


class ReportedCall(BaseModel):
    call_id: str = Field(min_length=1, max_length=100)
    consumer: Uscc
    resource_code: ResourceCode
    started_at: AwareDatetime
    ended_at: AwareDatetime
    status_code: int | None = Field(None, ge=100, le=599)
    request_bytes: int = Field(0, ge=0)
    response_bytes: int = Field(0, ge=0)
    error: ErrorKind | None = None


class CallBatch(BaseModel):
    calls: list[ReportedCall] = Field(min_length=1, max_length=10_000)


@router.put("/endpoints/{code}", summary="Register where the gateway reaches a mounted API resource")
async def set_endpoint(code: str, body: EndpointBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    base_url = str(body.base_url).rstrip("/")

    async def public_only(url: str) -> None:
        try:
            await _state(request).policy.check_destination(str(body.base_url))
        except EgressRefused as exc:
            raise invalid(f"base_url: {exc}") from None

    cmd = c.SetEndpoint(actor=principal, resource_code=code, base_url=base_url, timeout_ms=body.timeout_ms)
    await handlers.set_endpoint(cmd, uow(request), public_only)
    return {"resource_code": code, "base_url": base_url, "timeout_ms": body.timeout_ms}


async def _forward(client: EgressSession, request: Request, target: str, payload: bytes, timeout_ms: int
                   ) -> tuple[int | None, str, bytes, Exception | None]:
    """The provider's answer (status, content type, body) or the failure; the consumer's query string and
    its content-type and accept headers go along, nothing else of the consumer's request does."""
    headers = {k: v for k, v in request.headers.items() if k.lower() in _FORWARDED_HEADERS}
    params = request.query_params.multi_items() or None
    try:
        async with client.request(request.method, target, params=params, data=payload or None, headers=headers,
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


def _state(request: Request) -> GatewayState:
    state: GatewayState = request.app.state.gateway
    return state


@router.api_route("/gateway/{code}/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                  summary="Call a provider's API resource (needs a usable subscription, within its quota)",
                  responses={401: {"description": "no valid token, or an unknown or revoked calling-system key"},
                             403: {"description": "no usable subscription (none, suspended, revoked, expired): "
                                                  "the provider is not called"},
                             429: {"description": "over the subscription's quota (Retry-After): recorded, the "
                                                  "provider is not called"},
                             502: {"description": "the provider failed (unavailable, 5xx, invalid response)"},
                             504: {"description": "the provider did not answer in time"}})
async def call(code: str, path: str, request: Request,
               key: Annotated[str | None, Header(alias=admission.KEY_HEADER)] = None) -> Response:
    """Deny by default: only a department (its token, or one of its calling systems' keys) holding a usable
    subscription reaches the provider, within the subscription's quota. The call is forwarded to the endpoint
    the provider registered, recorded (whatever its outcome) before the answer goes back, and a failure emits
    exchange.call-failed (envelope unit: the provider). A call over quota is recorded as refused."""
    # One server span, continuing the caller's trace (the ASGI instrumentation leaves this path alone: its
    # three spans per request cost a fifth of a call); a failure's event carries it on to Kafka.
    with _tracer.start_as_current_span(f"{request.method} /gateway/{{code}}", kind=SpanKind.SERVER,
                                       context=context_from_headers(request.headers),
                                       attributes={"http.request.method": request.method,
                                                   "hub.resource_code": code}) as span:
        try:
            answer = await _call(code, path, request, key)
        except Problem as problem:
            span.set_attribute("http.response.status_code", problem.status)
            raise
        span.set_attribute("http.response.status_code", answer.status_code)
        return answer


async def _call(code: str, path: str, request: Request, key: str | None) -> Response:
    who = await admission.caller(pool(request), request.scope.get("state", {}).get("principal"), key)
    try:  # the consumer's mistake, refused before its quota is touched: a bad request changes nothing
        tail = confined(path)
    except EgressRefused as refusal:
        raise invalid(f"path: {refusal}") from None
    started: datetime = deps.now(request)
    try:
        route = (await admission.admit(pool(request), who, code, started, routes=_state(request).routes)).route
    except admission.QuotaRefused as refused:
        call_id = f"c-{uuid.uuid4().hex}"
        await _state(request).recorder.record(pool(request), {
            "id": call_id, "consumer": who.unit, "provider": refused.route["provider"], "resource_code": code,
            "started_at": started, "ended_at": started, "duration_ms": 0.0, "status_code": 429, "request_bytes": 0,
            "response_bytes": 0, "succeeded": False, "error": None, "reported": False, "system_id": who.system,
            "refused": "quota"})
        _calls.add(1, {"outcome": "quota"})
        refused.extra["call_id"] = call_id
        raise
    consumer = who.unit
    state = _state(request)
    payload = await request.body()
    clock = time.perf_counter()
    status: int | None = None
    body, content_type = b"", ""
    exc: Exception | None = None
    target = None if route["base_url"] is None else route["base_url"].rstrip("/") + "/" + tail
    if target is None:
        exc = ConnectionError("the provider registered no endpoint")
    else:
        status, content_type, body, exc = await _forward(state.client, request, target, payload, route["timeout_ms"])
    duration = (time.perf_counter() - clock) * 1000
    error = classify(status, content_type, body, exc)
    _calls.add(1, {"outcome": error or "ok"})
    _duration.record(duration / 1000, {"outcome": error or "ok"})
    call_id = f"c-{uuid.uuid4().hex}"
    record = {"id": call_id, "consumer": consumer, "provider": route["provider"], "resource_code": code,
              "started_at": started, "ended_at": started + timedelta(milliseconds=duration),
              "duration_ms": duration, "status_code": status, "request_bytes": len(payload),
              "response_bytes": len(body), "succeeded": error is None, "error": error, "reported": False,
              "system_id": who.system, "refused": None}
    event = None
    if error is not None:
        failed = CallFailed(call_id=call_id, resource_code=code, consumer_unit=consumer,
                            data_kind=route["data_kind"], error=error)
        event = new_envelope(failed, unit=route["provider"], occurred_at=started)
    await state.recorder.record(pool(request), record, event)
    if error is not None:
        raise Problem(504 if error == "timeout" else 502, "Bad gateway", f"the provider's call failed: {error}",
                      kind=f"call-{error}", call_id=call_id)
    return Response(content=body, status_code=status or 200, media_type=content_type or None,
                    headers={"X-Hub-Call-Id": call_id})


@router.post("/calls/batch", status_code=201, summary="A provider system reports its own call records")
async def report(body: CallBatch, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    cmd = c.ReportCalls(actor=principal, calls=tuple(c.ReportedCall(**call.model_dump()) for call in body.calls))
    return await handlers.report_calls(cmd, uow(request))
