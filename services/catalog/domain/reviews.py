"""The bureau's review of the catalog (seed 003 §6.2.5–6.2.8: 目录报送、审核汇总、退回整改、公示、发布).

A unit submits a draft (or a returned resource, after fixing it) for publication; the bureau approves it or
returns it with reasons per field. An approved publication is published at once or, when the bureau gives a
public notice period (公示), when that period ends; the bureau may still return it during the notice. A change
to a published resource's metadata is a submission too: the resource stays published as it was until the
change is approved (then it is a new version) or returned (then it is dropped). The bureau answers within
a number of working days; a submission left undecided past that deadline is flagged overdue once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from contracts.catalog import ReviewReason, ReviewSubject
from contracts.workdays import working_deadline

from catalog.domain.resources import Metadata, Resource, ResourceRejected

Decision = Literal["approved", "returned"]
REVIEW_DAYS = 5  # working days the bureau takes to decide, unless its settings say otherwise
NOTICE_DAYS = 5  # working days of public notice before a new resource is published, unless the bureau says
MAX_NOTICE_DAYS = 30


class ReviewRefused(ValueError):
    """A review step refused; `status` is the HTTP answer (409: the state does not allow it, 422: bad input)."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Review:
    id: str
    code: str
    subject: ReviewSubject
    metadata: Metadata  # what was submitted: the draft as it stood, or the proposed change
    changed: tuple[str, ...]
    submitted_at: datetime
    due: datetime
    decision: Decision | None = None
    decided_at: datetime | None = None
    reasons: tuple[ReviewReason, ...] = ()
    notice_until: datetime | None = None
    overdue_at: datetime | None = None

    @property
    def open(self) -> bool:
        return self.decision is None


def submit_publication(review_id: str, resource: Resource, now: datetime, days: int) -> Review:
    """A draft, or a resource returned and fixed, goes to the bureau as it stands."""
    if resource.status not in ("draft", "returned"):
        raise ReviewRefused(f"status: {resource.code} is {resource.status}; only a draft or a returned resource "
                            "is submitted for publication")
    return Review(review_id, resource.code, "publication", resource.metadata, (), now,
                  working_deadline(now, days))


def submit_change(review_id: str, resource: Resource, proposed: Metadata, changed: list[str], now: datetime,
                  days: int) -> Review:
    if resource.status != "published":
        raise ReviewRefused(f"status: {resource.code} is {resource.status}; a change is reviewed once published")
    return Review(review_id, resource.code, "change", proposed, tuple(changed), now, working_deadline(now, days))


def check_reasons(reasons: list[ReviewReason]) -> tuple[ReviewReason, ...]:
    """Each reason names a metadata field (`items`, or one item as `items.<n>`) and says what is wrong."""
    for i, r in enumerate(reasons):
        root, _, rest = r.field.partition(".")
        if root not in Metadata.model_fields or (rest and not (root in ("items", "related_codes")
                                                               and rest.isdigit())):
            raise ReviewRefused(f"reasons.{i}.field: {r.field!r} is not a metadata field", status=422)
        if not r.reason.strip():
            raise ReviewRefused(f"reasons.{i}.reason: say what is wrong with {r.field}", status=422)
    return tuple(reasons)


def _decidable(r: Review, resource_status: str) -> None:
    """Undecided, or an approved publication still in its notice period (the notice exists to be objected to)."""
    in_notice = r.decision == "approved" and resource_status == "in_notice"
    if not (r.open or in_notice):
        raise ReviewRefused(f"review {r.id} was {r.decision} at {r.decided_at}; submit again for a new review")


def approve(r: Review, resource_status: str, notice_days: int, now: datetime) -> Review:
    _decidable(r, resource_status)
    if not r.open:
        raise ReviewRefused(f"review {r.id} is approved already; its notice ends at {r.notice_until}")
    if now < r.submitted_at:
        raise ReviewRefused(f"occurred_at: before the submission at {r.submitted_at}", status=422)
    if not 0 <= notice_days <= MAX_NOTICE_DAYS:
        raise ReviewRefused(f"notice_days: 0 to {MAX_NOTICE_DAYS} working days", status=422)
    if notice_days and r.subject == "change":
        raise ReviewRefused("notice_days: a change to a published resource takes effect when approved; the "
                            "public notice is for new resources", status=422)
    notice = working_deadline(now, notice_days) if notice_days else None
    return replace(r, decision="approved", decided_at=now, notice_until=notice)


def return_(r: Review, resource_status: str, reasons: list[ReviewReason], now: datetime) -> Review:
    _decidable(r, resource_status)
    if not reasons:
        raise ReviewRefused("reasons: a returned submission says, per field, what to fix", status=422)
    if now < r.submitted_at:
        raise ReviewRefused(f"occurred_at: before the submission at {r.submitted_at}", status=422)
    return replace(r, decision="returned", decided_at=now, reasons=check_reasons(reasons), notice_until=None)


def overdue(r: Review, now: datetime) -> bool:
    """Whether the review has just become overdue (undecided, its deadline passed, not flagged yet)."""
    return r.open and r.overdue_at is None and now >= r.due


def notice_ended(r: Review, resource_status: str, now: datetime) -> bool:
    return (resource_status == "in_notice" and r.decision == "approved" and r.notice_until is not None
            and now >= r.notice_until)


def editable(resource: Resource) -> None:
    """While the bureau reviews a submission (or its notice runs) the resource is frozen."""
    if resource.status in ("submitted", "in_notice"):
        raise ResourceRejected(f"status: {resource.code} is {resource.status.replace('_', ' ')}; wait for the "
                               "bureau's decision (a returned resource can be fixed and submitted again)")
