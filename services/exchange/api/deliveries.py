"""What table reads and file downloads share with the gateway: a bounded request body, admission under the
subscription and its quota, and a record in the call log on the delivery's channel."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from fastapi import Request
from hubkit.deps import pool
from hubkit.problems import Problem

from exchange.gateway_state import GatewayState
from exchange.service import admission


async def read_body(request: Request, limit: int, what: str) -> bytes:
    """The body, refused with 413 as soon as it is known to be over the limit (declared or streamed)."""
    too_large = Problem(413, "Content too large", f"a {what} may be at most {limit} bytes", kind="too-large")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def record(request: Request, who: admission.Caller, provider: str, code: str, started: datetime,
                 duration_ms: float, status: int, size: int, channel: str, refused: str | None = None) -> str:
    """Record a delivery like a gateway call (group-committed, durable before the answer); its id."""
    call_id = f"c-{uuid.uuid4().hex}"
    state: GatewayState = request.app.state.gateway
    await state.recorder.record(pool(request), {
        "id": call_id, "consumer": who.unit, "provider": provider, "resource_code": code, "started_at": started,
        "ended_at": started + timedelta(milliseconds=duration_ms), "duration_ms": duration_ms, "status_code": status,
        "request_bytes": 0, "response_bytes": size, "succeeded": refused is None, "error": None, "reported": False,
        "system_id": who.system, "refused": refused, "channel": channel})
    return call_id


async def admit(request: Request, who: admission.Caller, code: str, started: datetime,
                channel: str) -> admission.Admitted:
    """Admission as at the gateway; a call over quota is recorded (refused) before the 429 goes back."""
    try:
        state: GatewayState = request.app.state.gateway
        return await admission.admit(pool(request), who, code, started, routes=state.routes)
    except admission.QuotaRefused as refused:
        refused.extra["call_id"] = await record(request, who, refused.route["provider"], code, started, 0.0, 429, 0,
                                                channel, refused="quota")
        raise
