"""Quality disputes: a consumer raises one within 2 working days of receiving the data; the provider
answers within 3; an upheld dispute emits exchange.dispute-upheld."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from contracts import new_envelope
from contracts.exchange import DisputeUpheld
from contracts.values import ResourceCode
from contracts.workdays import working_deadline
from fastapi import APIRouter, Request
from hubkit import outbox
from hubkit.auth import CurrentPrincipal, Role
from hubkit.deps import now as now_of
from hubkit.deps import pool
from hubkit.problems import Problem, conflict, forbidden, not_found
from pydantic import BaseModel, Field

from exchange.api.requests import local_iso
from exchange.domain.requests import ANSWER_DAYS, dispute_deadline

router = APIRouter(prefix="/disputes", tags=["disputes"])


class DisputeBody(BaseModel):
    resource_code: ResourceCode
    description: str = Field(min_length=1, max_length=2000, description="e.g. 信息项缺失, 数据不准确")


class AnswerBody(BaseModel):
    upheld: bool = Field(description="the data was indeed inconsistent")
    answer: str = Field(min_length=1, max_length=2000)


@router.post("", status_code=201, summary="Raise a quality dispute on received data")
async def raise_dispute(body: DisputeBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    principal.require(Role.department)
    consumer, now = principal.unit or "", now_of(request)
    async with pool(request).acquire() as conn, conn.transaction():
        sub = await conn.fetchrow(
            "SELECT r.activated_at, s.provider, s.data_kind FROM requests r JOIN resources s ON s.code = "
            "r.resource_code WHERE r.requester = $1 AND r.resource_code = $2 AND r.status = 'active' "
            "ORDER BY r.activated_at DESC LIMIT 1", consumer, body.resource_code)
        if sub is None:
            raise forbidden(f"{consumer} has not received {body.resource_code}: no active subscription")
        window = dispute_deadline(sub["activated_at"])
        if now >= window:
            raise Problem(409, "Conflict", f"disputes on {body.resource_code} were due by {local_iso(window)} "
                          "(2 working days after receiving the data)", kind="dispute-window-closed")
        dispute_id = f"d-{uuid.uuid4().hex[:12]}"
        due = working_deadline(now, ANSWER_DAYS)
        await conn.execute(
            "INSERT INTO disputes (id, consumer, provider, resource_code, data_kind, description, raised_at, "
            "answer_due, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open')", dispute_id, consumer,
            sub["provider"], body.resource_code, sub["data_kind"], body.description, now, due)
    return {"id": dispute_id, "provider": sub["provider"], "status": "open", "answer_due": local_iso(due)}


@router.post("/{dispute_id}/answer", summary="The provider answers; upheld emits exchange.dispute-upheld")
async def answer(dispute_id: str, body: AnswerBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    principal.require(Role.department)
    now = now_of(request)
    async with pool(request).acquire() as conn, conn.transaction():
        row = await conn.fetchrow("SELECT * FROM disputes WHERE id = $1 FOR UPDATE", dispute_id)
        if row is None:
            raise not_found("dispute", dispute_id)
        if row["provider"] != principal.unit:
            raise forbidden(f"dispute {dispute_id} is addressed to {row['provider']}")
        if row["status"] != "open":
            raise conflict(f"status: dispute {dispute_id} was already answered ({row['status']})")
        status = "upheld" if body.upheld else "dismissed"
        await conn.execute("UPDATE disputes SET status = $2, answer = $3, answered_at = $4 WHERE id = $1",
                           dispute_id, status, body.answer, now)
        if body.upheld:
            payload = DisputeUpheld(dispute_id=dispute_id, resource_code=row["resource_code"],
                                    data_kind=row["data_kind"])
            await outbox.add(conn, "exchange", new_envelope(payload, unit=row["provider"], occurred_at=now))
    return {"id": dispute_id, "status": status, "late": now >= row["answer_due"]}


@router.get("", summary="Disputes (a department: those it raised or received)")
async def list_disputes(request: Request, principal: CurrentPrincipal,
                        status: str | None = None) -> list[dict[str, Any]]:
    if principal.role is Role.department:
        unit: str | None = principal.unit
    elif principal.role in (Role.operator, Role.auditor, Role.inspector):
        unit = None
    else:
        raise forbidden(f"role {principal.role.value} does not read disputes")
    now = now_of(request)
    async with pool(request).acquire() as conn:
        rows = await conn.fetch(
            "SELECT * FROM disputes WHERE ($1::text IS NULL OR consumer = $1 OR provider = $1) "
            "AND ($2::text IS NULL OR status = $2) ORDER BY raised_at DESC LIMIT 500", unit, status)
    return [{**{k: local_iso(v) if isinstance(v, datetime) else v for k, v in dict(r).items()},
             "overdue": r["status"] == "open" and now >= r["answer_due"]} for r in rows]
