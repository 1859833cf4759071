"""Demand for data not yet in the catalog (需求清单, seed 003 §21/§38) as a small state machine.

A department says what data it needs, why, and which unit it thinks holds it (`raised`). The bureau assigns
the demand to a provider with a deadline in working days (`assigned`), or rejects it with a reason (the data
exists already, the need is not a government task: `rejected`). The assigned provider either catalogs and
mounts the data and names the resource (`fulfilled`: the demand becomes an access request of the department
that raised it, through the usual workflow) or refuses with a basis (`refused`). A demand still assigned when
its deadline passes is flagged overdue once (it stays open: the provider may still answer).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from contracts.workdays import working_deadline

from exchange.domain.requests import TransitionRefused  # a step refused, with the HTTP status to answer

Status = Literal["raised", "assigned", "fulfilled", "refused", "rejected"]
ANSWER_DAYS = 10  # working days the bureau gives a provider unless it says otherwise


@dataclass(frozen=True)
class Demand:
    id: str
    requester: str
    what: str
    why: str
    suggested_provider: str | None
    status: Status
    raised_at: datetime
    provider: str | None = None
    due: datetime | None = None
    assigned_at: datetime | None = None
    answered_at: datetime | None = None
    resource_code: str | None = None
    reason: str | None = None  # the bureau's rejection or the provider's basis for refusing
    request_id: str | None = None  # the access request a fulfilled demand became
    overdue_at: datetime | None = None


def raise_demand(demand_id: str, requester: str, what: str, why: str, suggested: str | None,
                 now: datetime) -> Demand:
    if suggested == requester:
        raise TransitionRefused("suggested_provider: a unit does not demand its own data", status=422)
    return Demand(demand_id, requester, what.strip(), why.strip(), suggested, "raised", now)


def _expect(d: Demand, status: Status, step: str) -> None:
    if d.status != status:
        raise TransitionRefused(f"status: demand {d.id} is {d.status}; only a {status} demand can be {step}")


def assign(d: Demand, provider: str, days: int, now: datetime) -> Demand:
    _expect(d, "raised", "assigned")
    if provider == d.requester:
        raise TransitionRefused("provider: the unit that raised the demand cannot be assigned it", status=422)
    return replace(d, status="assigned", provider=provider, assigned_at=now, due=working_deadline(now, days))


def reject(d: Demand, reason: str, now: datetime) -> Demand:
    _expect(d, "raised", "rejected")
    if not reason.strip():
        raise TransitionRefused("reason: the bureau says why it rejects a demand", status=422)
    return replace(d, status="rejected", reason=reason.strip(), answered_at=now)


def _by_provider(d: Demand, unit: str) -> None:
    if d.provider != unit:
        raise TransitionRefused(f"provider: demand {d.id} is assigned to {d.provider}, not {unit}", status=403)


def fulfil(d: Demand, unit: str, resource_code: str, resource_provider: str, now: datetime) -> Demand:
    _by_provider(d, unit)
    _expect(d, "assigned", "fulfilled")
    if resource_provider != unit:
        raise TransitionRefused(f"resource_code: {resource_code} is not a resource of {unit}", status=422)
    return replace(d, status="fulfilled", resource_code=resource_code, answered_at=now)


def refuse(d: Demand, unit: str, basis: str, now: datetime) -> Demand:
    _by_provider(d, unit)
    _expect(d, "assigned", "refused")
    if not basis.strip():
        raise TransitionRefused("basis: refusing a demand needs its legal or policy basis", status=422)
    return replace(d, status="refused", reason=basis.strip(), answered_at=now)


def overdue(d: Demand, now: datetime) -> bool:
    """Whether the demand has just become overdue (assigned, its deadline passed, not flagged yet)."""
    return d.status == "assigned" and d.overdue_at is None and d.due is not None and now >= d.due
