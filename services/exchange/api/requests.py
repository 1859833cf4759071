"""Access requests: submit, the bureau's review, the provider's decision, the reply; queues with deadlines."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from contracts.values import ResourceCode
from contracts.workdays import SHANGHAI, is_working_day, working_days_between
from fastapi import APIRouter, Query, Request
from hubkit.auth import CurrentPrincipal, Principal, Role
from hubkit.deps import now as now_of
from hubkit.deps import pool
from hubkit.problems import Problem, forbidden, not_found
from pydantic import BaseModel, Field

from exchange.api.common import decision_days, default_terms, local_iso, uow
from exchange.domain.requests import AccessRequest, Terms
from exchange.service import commands as c
from exchange.service import handlers, queries

router = APIRouter(tags=["requests"])


class SubmitBody(BaseModel):
    resource_code: ResourceCode
    purpose: str = Field(min_length=1, max_length=1000, description="用途: what the data is needed for")
    requester: str | None = Field(None, description="operators acting for a unit; departments: their own")


class ReviewBody(BaseModel):
    passed: bool = Field(description="the request meets the norms and goes to the provider")
    reason: str | None = Field(None, max_length=1000, description="required when returning it")


class DecisionBody(BaseModel):
    approve: bool
    reason: str | None = Field(None, max_length=2000, description="required (non-empty) when refusing")
    valid_days: int | None = Field(None, ge=1, le=3650, description="an approval's term in days, from the reply "
                                   "that activates it (default: the hub's, HUB_SUBSCRIPTION_DAYS)")
    quota_per_minute: int | None = Field(None, ge=1, le=1_000_000, description="calls a minute (default: the hub's)")
    quota_per_day: int | None = Field(None, ge=1, le=100_000_000, description="calls a day (default: the hub's)")


def view(req: AccessRequest, now: datetime, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The request with its current deadline and working days left (0 once passed)."""
    due = {"submitted": req.review_due, "forwarded": req.provider_due,
           "approved": req.reply_due, "rejected": req.reply_due}.get(req.status)
    left = None
    if due is not None:
        last_day = (due.astimezone(SHANGHAI) - timedelta(days=1)).date()
        today = now.astimezone(SHANGHAI).date()
        left = working_days_between(today, last_day) + is_working_day(today) if now < due else 0
    return {**{k: local_iso(v) if isinstance(v, datetime) else v for k, v in req.__dict__.items()},
            "deadline": local_iso(due) if due else None, "working_days_left": left,
            "overdue": bool(due and now >= due), **(extra or {})}


@router.post("/requests", status_code=201, summary="Ask a provider for access to a published resource")
async def submit(body: SubmitBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    requester = principal.unit if principal.role is Role.department else body.requester
    if not requester:
        raise Problem(422, "Invalid request", "requester: operators name the unit they act for", kind="invalid-request")
    now = now_of(request)
    cmd = c.SubmitRequest(actor=principal, requester=requester, resource_code=body.resource_code,
                          purpose=body.purpose, at=now, terms=default_terms(request, term=False))
    return view(await handlers.submit_request(cmd, uow(request)), now)


@router.post("/requests/{request_id}/review", summary="The bureau's normative review (2 working days)")
async def review(request_id: str, body: ReviewBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    now = now_of(request)
    cmd = c.ReviewRequest(actor=principal, request_id=request_id, passed=body.passed, reason=body.reason, at=now,
                          decision_days=decision_days(request))
    return view(await handlers.review_request(cmd, uow(request)), now)


@router.post("/requests/{request_id}/decision", summary="The provider approves or refuses (with a reason)")
async def decide(request_id: str, body: DecisionBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    now = now_of(request)
    usual = default_terms(request)
    terms = Terms(body.valid_days or usual.valid_days, body.quota_per_minute or usual.per_minute,
                  body.quota_per_day or usual.per_day)
    cmd = c.DecideRequest(actor=principal, request_id=request_id, approve=body.approve, reason=body.reason, at=now,
                          terms=terms)
    return view(await handlers.decide_request(cmd, uow(request)), now)


@router.post("/requests/{request_id}/reply", summary="The bureau pushes the decision to the requester")
async def reply(request_id: str, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    now = now_of(request)
    return view(await handlers.reply_request(c.ReplyRequest(actor=principal, request_id=request_id, at=now),
                                             uow(request)), now)


@router.get("/requests", summary="Requests (a department: those it made or received)")
async def list_requests(
    request: Request, principal: CurrentPrincipal, status: str | None = None,
    side: Annotated[str | None, Query(pattern="^(requester|provider)$")] = None,
    unit: str | None = None,
) -> list[dict[str, Any]]:
    if principal.role is Role.department:
        unit = principal.unit
    elif principal.role not in (Role.operator, Role.auditor, Role.service):
        raise forbidden(f"role {principal.role.value} does not read requests")
    now = now_of(request)
    found = await queries.requests(pool(request), unit=unit, statuses=(status,), side=side)
    return [view(req, now, extra) for req, extra in found]


@router.get("/requests/{request_id}", summary="One request")
async def read(request_id: str, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    req = await queries.request(pool(request), request_id)
    if req is None or (principal.role is Role.department and principal.unit not in (req.requester, req.provider)):
        raise not_found("request", request_id)
    return view(req, now_of(request))


QUEUES = {"review": ("submitted",), "provider": ("forwarded",), "reply": ("approved", "rejected")}


async def _queue_items(request: Request, principal: Principal, queue: str) -> list[dict[str, Any]]:
    if queue not in QUEUES:
        raise not_found("queue", queue)
    if queue in ("review", "reply"):
        principal.require(Role.operator, Role.auditor)
    else:
        principal.require(Role.department, Role.operator, Role.auditor)
    unit = principal.unit if principal.role is Role.department else None
    now = now_of(request)
    found = await queries.requests(pool(request), unit=unit, statuses=QUEUES[queue],
                                   side="provider" if unit else None)
    items = [view(req, now, {"resource_name": extra["resource_name"], "queue": queue}) for req, extra in found]
    return sorted(items, key=lambda i: i["deadline"] or "")


@router.get("/queues/{queue}", summary="Work queues with deadlines: review and reply (bureau), provider")
async def queue(queue: str, request: Request, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """review: submitted requests awaiting the bureau's normative review; provider: forwarded requests
    awaiting the provider's decision (a department sees those addressed to it); reply: decided
    requests whose answer the bureau has yet to push. Each item has its deadline (24:00 Asia/Shanghai
    of the last working day), working days left (today included while it is a working day) and
    whether it is overdue."""
    return await _queue_items(request, principal, queue)


@router.get("/reminders", summary="Steps whose deadline is near: the caller's queues, due within N working days")
async def reminders(
    request: Request, principal: CurrentPrincipal,
    within: Annotated[int, Query(ge=0, le=10, description="working days left, today included")] = 2,
) -> list[dict[str, Any]]:
    """A department is reminded of the requests awaiting its decision; the bureau of every queue.
    Overdue steps are not reminders (the overdue watcher reports them)."""
    queues = ["provider"] if principal.role is Role.department else ["review", "provider", "reply"]
    items = [i for q in queues for i in await _queue_items(request, principal, q)]
    return sorted((i for i in items if not i["overdue"] and i["working_days_left"] is not None
                   and i["working_days_left"] <= within), key=lambda i: i["deadline"])
