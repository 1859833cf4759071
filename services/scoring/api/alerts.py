"""Departments' deduction alerts: the list, a live SSE stream of their own unit, webhooks and deliveries."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from hubkit.auth import CurrentPrincipal, Role
from hubkit.egress import EgressPolicy, EgressRefused
from hubkit.problems import invalid
from pydantic import AnyHttpUrl, BaseModel, Field

from scoring.api import deps
from scoring.service import commands as c
from scoring.service import handlers, queries

router = APIRouter(tags=["alerts"])
READERS = (Role.operator, Role.department, Role.service)
POLL_SECONDS = 0.25


class WebhookBody(BaseModel):
    url: AnyHttpUrl = Field(description="where alerts are POSTed (http or https)")
    secret: str | None = Field(None, min_length=16, max_length=200,
                               description="HMAC-SHA256 key; omitted: one is generated and returned once")


@router.get("/alerts/{unit}", summary="The unit's latest deduction alerts, in words")
async def list_alerts(unit: str, request: Request, principal: CurrentPrincipal,
                      limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[dict[str, Any]]:
    principal.require(*READERS)
    principal.ensure_unit(unit)
    return await queries.alerts_latest(deps.pool(request), unit, limit, deps.ruleset(request), deps.projector(request),
                                       request.app.state.settings.appeal_working_days)


async def reader_of_unit(unit: str, principal: CurrentPrincipal) -> None:
    """Checked before a stream starts: once it has, an error can no longer become a 403."""
    principal.require(*READERS)
    principal.ensure_unit(unit)


@router.get("/alerts/{unit}/stream", response_class=EventSourceResponse, dependencies=[Depends(reader_of_unit)],
            summary="Live alerts of the unit (SSE); resumes after Last-Event-ID without gaps or duplicates")
async def stream_alerts(
    unit: str, request: Request,
    last_event_id: Annotated[int | None, Header(alias="Last-Event-ID", ge=0)] = None,
    after: Annotated[int | None, Query(ge=0, description="start after this alert seq (when no Last-Event-ID)")] = None,
) -> AsyncIterator[ServerSentEvent]:
    seq = last_event_id if last_event_id is not None else after
    pool, ruleset, projector = deps.pool(request), deps.ruleset(request), deps.projector(request)
    if seq is None:
        seq = await queries.last_alert_seq(pool, unit)
    while not await request.is_disconnected():
        docs = await queries.alerts_after(pool, unit, seq, ruleset, projector,
                                          appeal_days=request.app.state.settings.appeal_working_days)
        for doc in docs:
            seq = doc["seq"]
            yield ServerSentEvent(data=doc, event="deduction-alerted", id=str(seq))
        if not docs:
            await asyncio.sleep(POLL_SECONDS)


@router.put("/webhooks/{unit}", summary="Register a webhook for the unit's alerts (signed with HMAC-SHA256)")
async def set_webhook(unit: str, body: WebhookBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    async def public_only(url: str) -> None:
        try:
            await EgressPolicy.parse(request.app.state.settings.egress_allow).check_destination(url)
        except EgressRefused as exc:
            raise invalid(f"url: {exc}") from None

    secret = body.secret or secrets.token_urlsafe(32)
    cmd = c.SetWebhook(actor=principal, unit=unit, url=str(body.url), secret=secret)
    webhook_id = await handlers.set_webhook(cmd, deps.uow(request), public_only)
    return {"id": webhook_id, "unit": unit, "url": str(body.url), "secret": secret,
            "signature": "X-Hub-Signature-256: sha256=HMAC_SHA256(secret, X-Hub-Timestamp + '.' + body)"}


@router.get("/webhooks/{unit}", summary="The unit's webhooks")
async def get_webhooks(unit: str, request: Request, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    principal.require(Role.department, Role.operator)
    principal.ensure_unit(unit)
    return await queries.webhooks(deps.pool(request), unit)


@router.delete("/webhooks/{unit}/{webhook_id}", status_code=204, summary="Stop a webhook")
async def delete_webhook(unit: str, webhook_id: int, request: Request, principal: CurrentPrincipal) -> None:
    await handlers.stop_webhook(c.StopWebhook(actor=principal, unit=unit, webhook_id=webhook_id), deps.uow(request))


@router.get("/deliveries", summary="Webhook deliveries with every attempt (operators: dead ones to follow up)")
async def get_deliveries(
    request: Request, principal: CurrentPrincipal,
    unit: str | None = None,
    status: Annotated[str | None, Query(pattern="^(pending|delivered|dead)$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    principal.require(Role.department, Role.operator)
    if principal.role is Role.department:
        unit = principal.unit
    return await queries.deliveries(deps.pool(request), unit=unit, status=status, limit=limit)
