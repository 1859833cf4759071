"""The access-request workflow of seed 003 第二十二条, as a pure state machine with working-day deadlines.

unconditional share → granted at once: active, with request-submitted, request-forwarded and
                      request-approved emitted at the same instant (the platform grants on the provider's
                      standing authorisation, so its decision took no time and is never late).
conditional share   → submitted → the bureau's normative review (2 working days) → forwarded to the
                      provider (3 working days for government data, 5 for supervision data) → approved or
                      rejected (a reason is required) → the bureau replies to the requester (2 working days)
                      → active (approved) or closed (rejected).
not_shared          → refused at once, citing the basis recorded in the catalog; only request-submitted
                      is emitted (the provider decided nothing, so there is no forwarding and no
                      rejection event that scoring could hold against it).
returned            → the bureau's review found the request not in order (a reason is required); it never
                      reached the provider.
Deadlines are 24:00 Asia/Shanghai of the last working day (PRC holidays and make-up days included).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from contracts.base import Payload
from contracts.exchange import RequestApproved, RequestForwarded, RequestRejected, RequestSubmitted
from contracts.workdays import working_deadline

Status = Literal["submitted", "returned", "forwarded", "approved", "rejected", "active", "closed", "refused",
                 "suspended", "revoked", "expired"]
REVIEW_DAYS = 2
REPLY_DAYS = 2
# Seed 003 §22 gives the provider 5 working days; the scoring table deducts B1.9 after 3 for government data
# (B4.13: 5 for supervision data). The hub's default is the table's, so a provider that keeps the deadline it
# is shown never loses points; HUB_DECISION_DAYS_GOVERNMENT / _SUPERVISION change it (README, "3 or 5").
DECISION_DAYS = {"government": 3, "supervision": 5}
ANSWER_DAYS = 3  # a provider answers a quality dispute and completes the update (seed 003 §22(五))
REPORT_DAYS = 2  # a consumer reports a doubt or error within this many working days of finding it


class TransitionRefused(Exception):
    """A step the request's state or the caller does not allow; the message says why."""

    def __init__(self, message: str, *, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class AccessRequest:
    id: str
    requester: str
    provider: str
    resource_code: str
    data_kind: str
    status: Status
    submitted_at: datetime
    review_due: datetime | None = None
    forwarded_at: datetime | None = None
    provider_due: datetime | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    reply_due: datetime | None = None
    replied_at: datetime | None = None
    activated_at: datetime | None = None
    overdue_at: datetime | None = None
    # The subscription an approval grants (see domain/subscriptions.py): its term and quota, set at the
    # decision; its end (revoked or expired), a suspension, a renewal the consumer asked for.
    valid_days: int | None = None
    expires_at: datetime | None = None
    quota_per_minute: int | None = None
    quota_per_day: int | None = None
    ended_at: datetime | None = None
    ended_by: str | None = None
    end_reason: str | None = None
    suspended_at: datetime | None = None
    suspended_reason: str | None = None
    renewal_asked_at: datetime | None = None


@dataclass(frozen=True)
class Terms:
    """What a grant gives: a term in days (None: open-ended) and the quota of calls per minute and per day
    the gateway enforces (None: not limited)."""

    valid_days: int | None = None
    per_minute: int | None = None
    per_day: int | None = None


def submit(request_id: str, requester: str, provider: str, resource_code: str, data_kind: str, share_type: str,
           share_basis: str | None, now: datetime, control_parameters: bool = False,
           terms: Terms = Terms()) -> AccessRequest:
    """A new request: an unconditional share is granted at once (on `terms`: the provider's standing
    authorisation has no term of its own), unless its interface needs control parameters (seed 003 §22: those
    go through review and the provider's decision like a conditional one)."""
    if requester == provider:
        raise TransitionRefused("requester: a unit does not request its own resource", status=422)
    base = AccessRequest(id=request_id, requester=requester, provider=provider, resource_code=resource_code,
                         data_kind=data_kind, status="submitted", submitted_at=now)
    if share_type == "unconditional" and not control_parameters:
        return _granted(replace(base, status="active", forwarded_at=now, decided_at=now, replied_at=now,
                                activated_at=now), terms)
    if share_type == "not_shared":
        return replace(base, status="refused", decided_at=now,
                       reason=f"不予共享：{share_basis or '目录未载明依据'}")
    return replace(base, review_due=working_deadline(now, REVIEW_DAYS))


def review(req: AccessRequest, passed: bool, reason: str | None, now: datetime,
           decision_days: Mapping[str, int] = DECISION_DAYS) -> AccessRequest:
    """The bureau's normative review; a passed request goes to its provider, due in `decision_days` of its data
    kind (the hub's setting; the scoring rules judge lateness on their own table, whatever it is)."""
    _expect(req, "submitted", "review")
    if passed:
        return replace(req, status="forwarded", forwarded_at=now,
                       provider_due=working_deadline(now, decision_days[req.data_kind]))
    if not (reason or "").strip():
        raise TransitionRefused("reason: returning a request after normative review needs a reason", status=422)
    return replace(req, status="returned", reason=reason, decided_at=now)


def decide(req: AccessRequest, provider: str, approve: bool, reason: str | None, now: datetime,
           terms: Terms = Terms()) -> AccessRequest:
    """The provider's decision; an approval grants `terms` (its term runs from the reply that activates it)."""
    if provider != req.provider:
        raise TransitionRefused(f"provider: request {req.id} is addressed to {req.provider}, not {provider}",
                                status=403)
    _expect(req, "forwarded", "approve or reject")
    if not approve and not (reason or "").strip():
        raise TransitionRefused("reason: a refusal must state its reason", status=422)
    decided = replace(req, status="approved" if approve else "rejected", decided_at=now, reason=reason,
                      reply_due=working_deadline(now, REPLY_DAYS))
    return _granted(decided, terms) if approve else decided


def reply(req: AccessRequest, now: datetime) -> AccessRequest:
    if req.status not in ("approved", "rejected"):
        raise TransitionRefused(f"status: request {req.id} is {req.status}; only a decided request is replied to")
    if req.status == "approved":
        return _granted(replace(req, status="active", replied_at=now, activated_at=now),
                        Terms(req.valid_days, req.quota_per_minute, req.quota_per_day))
    return replace(req, status="closed", replied_at=now)


def _granted(req: AccessRequest, terms: Terms) -> AccessRequest:
    """The terms on the request; an active one's term runs from its activation."""
    expires = req.activated_at + timedelta(days=terms.valid_days) \
        if req.activated_at is not None and terms.valid_days is not None else None
    return replace(req, valid_days=terms.valid_days, quota_per_minute=terms.per_minute,
                   quota_per_day=terms.per_day, expires_at=expires)


def events_of(before: Status | None, after: AccessRequest) -> list[tuple[Payload, datetime]]:
    """The events a step from `before` (None: a new request) to `after` owes, each with its instant.
    They are about the provider (it is scored on forwarding, approving and rejecting on time)."""
    at = {"submitted": after.submitted_at, "forwarded": after.forwarded_at}.get(after.status) or after.decided_at
    out: list[Payload] = []
    if before is None:
        out.append(RequestSubmitted(request_id=after.id, requester_unit=after.requester,
                                    resource_code=after.resource_code, data_kind=after.data_kind))
    if after.forwarded_at is not None and before in (None, "submitted"):
        out.append(RequestForwarded(request_id=after.id, data_kind=after.data_kind))
    if after.status in ("approved", "active") and before in (None, "forwarded") and after.forwarded_at:
        out.append(RequestApproved(request_id=after.id, data_kind=after.data_kind,
                                   forwarded_at=after.forwarded_at))
    if after.status == "rejected" and before == "forwarded" and after.forwarded_at:
        out.append(RequestRejected(request_id=after.id, data_kind=after.data_kind,
                                   forwarded_at=after.forwarded_at, reason=after.reason or ""))
    times: dict[type, datetime | None] = {RequestSubmitted: after.submitted_at, RequestForwarded: after.forwarded_at}
    return [(p, times.get(type(p)) or at or after.submitted_at) for p in out]


def overdue(req: AccessRequest, now: datetime) -> bool:
    """Whether the provider's deadline passed undecided and no overdue event was emitted yet."""
    return req.status == "forwarded" and req.overdue_at is None and req.provider_due is not None \
        and now >= req.provider_due


def reported_late(found_at: datetime, now: datetime) -> bool:
    """Seed 003 §22(五): a consumer reports a doubt or an error within 2 working days of finding it. A late
    report is still taken (bad data must be corrected whenever it is found) and marked late."""
    return now >= working_deadline(found_at, REPORT_DAYS)


def _expect(req: AccessRequest, status: str, action: str) -> None:
    if req.status != status:
        raise TransitionRefused(f"status: request {req.id} is {req.status}; only a {status} request can {action}")


def data_kind_of(classification: str | None, domain: str | None) -> str:
    """Supervision data (监管数据, rules B4.*) is what the catalog classifies under 监管; the rest is
    government data (B1.*)."""
    text = f"{classification or ''}".strip()
    return "supervision" if text.startswith("监管") or "监管数据" in (domain or "") else "government"
