"""The bureau's review of the catalog: a unit submits, the bureau approves (after a public notice, or at once)
or returns with reasons per field; the queue of what awaits the bureau."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from contracts.catalog import ReviewReason
from fastapi import APIRouter, Query, Request
from hubkit import deps
from hubkit.auth import CurrentPrincipal, Principal, Role
from hubkit.problems import not_found
from pydantic import AwareDatetime, BaseModel, Field

from catalog.api.common import settings_of, uow, write_instant
from catalog.api.resources import ResourcePublic, sees_access
from catalog.domain.resources import Resource
from catalog.domain.reviews import MAX_NOTICE_DAYS, Review
from catalog.service import commands as c
from catalog.service import queries, reviews

router = APIRouter(tags=["reviews"])


class SubmitBody(BaseModel):
    occurred_at: AwareDatetime | None = Field(None, description="bureau only: record at a past instant")


class DecisionBody(BaseModel):
    decision: Literal["approve", "return"]
    reasons: list[ReviewReason] = Field(default_factory=list, max_length=100, description=(
        "return: at least one, each naming a metadata field and what to fix"))
    notice_days: int | None = Field(None, ge=0, le=MAX_NOTICE_DAYS, description=(
        "approve a publication: working days of public notice (公示) before it is published; 0: at once; "
        "omitted: the service's default (HUB_NOTICE_DAYS). A change takes effect at once"))
    occurred_at: AwareDatetime | None = Field(None, description="bureau only: record at a past instant")


class ReviewView(BaseModel):
    id: str
    resource_code: str
    subject: str
    changed: list[str]
    submitted_at: datetime
    due: datetime
    overdue: bool = Field(description="undecided past its deadline")
    overdue_at: datetime | None = Field(description="when it was flagged overdue (catalog.review-overdue), once")
    decision: str | None
    decided_at: datetime | None
    reasons: list[ReviewReason]
    notice_until: datetime | None
    metadata: dict[str, Any] = Field(description="what was submitted")

    @classmethod
    def of(cls, r: Review, now: datetime) -> ReviewView:
        return cls(id=r.id, resource_code=r.code, subject=r.subject, changed=list(r.changed),
                   submitted_at=r.submitted_at, due=r.due, overdue=r.open and now >= r.due, overdue_at=r.overdue_at,
                   decision=r.decision,
                   decided_at=r.decided_at, reasons=list(r.reasons), notice_until=r.notice_until,
                   metadata=r.metadata.model_dump(mode="json"))


class QueueEntry(ReviewView):
    provider: str
    name: str
    resource_status: str


class Reviewed(ResourcePublic):
    review: ReviewView | None = Field(description="the resource's last submission and its decision")


@router.post("/resources/{code}/submit", summary="Submit a draft or a returned resource for the bureau's review")
async def submit(code: str, request: Request, principal: CurrentPrincipal,
                 body: SubmitBody | None = None) -> Reviewed:
    cmd = c.SubmitResource(actor=principal, code=code, review_days=settings_of(request).review_days,
                           at=write_instant(request, principal, body.occurred_at if body else None))
    return await _with_review(request, principal, await reviews.submit(cmd, uow(request)))


@router.post("/resources/{code}/review", summary="The bureau approves or returns a resource's submission")
async def decide(code: str, body: DecisionBody, request: Request, principal: CurrentPrincipal) -> Reviewed:
    cmd = c.DecideReview(actor=principal, code=code, decision=body.decision, reasons=tuple(body.reasons),
                         notice_days=body.notice_days, default_notice_days=settings_of(request).notice_days,
                         at=write_instant(request, principal, body.occurred_at))
    return await _with_review(request, principal, await reviews.decide(cmd, uow(request)))


@router.get("/resources/{code}/reviews", summary="Every submission of a resource and its decision")
async def history(code: str, request: Request, principal: CurrentPrincipal) -> list[ReviewView]:
    resource = await queries.resource(deps.pool(request), code)
    # Submissions and the bureau's reasons are between a unit and the bureau.
    if resource is None or not sees_access(principal, resource.provider):
        raise not_found("resource", code)
    now = deps.now(request)
    return [ReviewView.of(r, now) for r in await queries.reviews_of(deps.pool(request), code)]


@router.get("/reviews", summary="The review queue: what awaits the bureau, what is overdue, in notice, returned")
async def queue(
    request: Request, principal: CurrentPrincipal,
    state: Annotated[Literal["open", "overdue", "in_notice", "returned", "approved"] | None, Query()] = None,
    unit: Annotated[str | None, Query(description="provider USCC (a department: its own)")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[QueueEntry]:
    if principal.role is Role.department:
        principal.ensure_unit(unit or principal.unit or "")
        unit = principal.unit
    now = deps.now(request)
    found = await queries.review_queue(deps.pool(request), state=state, unit=unit, now=now, limit=limit,
                                       offset=offset)
    return [QueueEntry(**ReviewView.of(e["review"], now).model_dump(), provider=e["provider"], name=e["name"],
                       resource_status=e["resource_status"]) for e in found]


async def _with_review(request: Request, principal: Principal, resource: Resource) -> Reviewed:
    now = deps.now(request)
    last = await queries.latest_review(deps.pool(request), resource.code)
    return Reviewed(**ResourcePublic.of(resource, now, principal).model_dump(),
                    review=ReviewView.of(last, now) if last else None)
