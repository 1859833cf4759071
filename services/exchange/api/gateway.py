"""The call gateway: consumers reach a provider's mounted API through the exchange (deny by default);
every call is recorded, and every failure emits exchange.call-failed. Providers that do not go through
the gateway report their call records in batches."""

from __future__ import annotations

from typing import Annotated, Any

from contracts.values import ResourceCode, Uscc
from fastapi import APIRouter, Header, Request, Response
from hubkit import deps
from hubkit.auth import CurrentPrincipal
from hubkit.deps import pool
from hubkit.egress import EgressRefused
from hubkit.problems import invalid
from pydantic import AnyHttpUrl, AwareDatetime, BaseModel, Field

from exchange.api import gateway_lean
from exchange.api.common import uow
from exchange.gateway_state import GatewayState
from exchange.service import admission, gateway_calls, handlers
from exchange.service import commands as c
from exchange.service.gateway_calls import ErrorKind

router = APIRouter(tags=["gateway"])


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


def _state(request: Request) -> GatewayState:
    state: GatewayState = request.app.state.gateway
    return state


@router.api_route("/gateway/{code}/{path:path}", methods=list(gateway_lean.METHODS),
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
    exchange.call-failed (envelope unit: the provider). A call over quota is recorded as refused.

    Served by `gateway_lean` (a plain ASGI route inside the request guard and the audit trail); this route
    documents it and serves an app built without it."""
    incoming = gateway_calls.Incoming(
        method=request.method, code=code, path=path, query=request.query_params.multi_items(),
        headers={k: request.headers[k] for k in request.headers.keys()}, body=await request.body(),
        principal=request.scope.get("state", {}).get("principal"), key=key)
    answer = await gateway_calls.traced(_state(request), pool(request), deps.now(request), incoming)
    return Response(content=answer.body, status_code=answer.status, media_type=answer.content_type or None,
                    headers={"X-Hub-Call-Id": answer.call_id})


@router.post("/calls/batch", status_code=201, summary="A provider system reports its own call records")
async def report(body: CallBatch, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    cmd = c.ReportCalls(actor=principal, calls=tuple(c.ReportedCall(**call.model_dump()) for call in body.calls))
    return await handlers.report_calls(cmd, uow(request))
