"""The life of a subscription (an access request once active), as pure steps.

active    → expired when its term ends (the clock; renewable by its provider or the bureau)
active    → suspended by the bureau (abuse, a security incident); resumed by the bureau
active, suspended → revoked by the provider or the bureau, with a reason, for good (a new request is needed)
active, expired   → renewed by the provider or the bureau for a new term (from the end of the current one,
                    or from now once it has passed); the consumer may ask for it first
Only a usable subscription (active, its term not over) reaches the provider through the gateway, records a
data use or sees deliveries; a unit that once received the data may still report a quality problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from contracts.exchange import SubscriptionChanged

from exchange.domain.requests import AccessRequest, TransitionRefused

Actor = Literal["provider", "bureau"]
HELD = ("active", "suspended", "revoked", "expired")  # statuses of a request that was once granted


@dataclass(frozen=True)
class Standing:
    """What the gateway needs to know of a consumer's subscription to a resource (its newest, a usable one
    first), read with the route in one query."""

    id: str
    status: str
    expires_at: datetime | None = None
    suspended_reason: str | None = None
    ended_by: str | None = None
    end_reason: str | None = None

    def usable(self, now: datetime) -> bool:
        return self.status == "active" and (self.expires_at is None or now < self.expires_at)

    def why_not(self, now: datetime) -> str:
        """Why it is not usable, in words, for the 403 the consumer gets."""
        if self.status == "suspended":
            return f"subscription {self.id} is suspended: {self.suspended_reason}"
        if self.status == "revoked":
            return f"subscription {self.id} was revoked by the {self.ended_by}: {self.end_reason}"
        if self.expires_at is not None and now >= self.expires_at:
            return f"subscription {self.id} expired at {self.expires_at.isoformat()}; ask its provider to renew it"
        return f"request {self.id} is {self.status}, not an active subscription"


def standing_from(route: Mapping[str, Any] | None) -> Standing | None:
    """From the gateway's route row (its `sub_*` columns; None without a subscription)."""
    if route is None or route["sub_id"] is None:
        return None
    return Standing(route["sub_id"], route["sub_status"], route["sub_expires_at"], route["sub_suspended_reason"],
                    route["sub_ended_by"], route["sub_end_reason"])


def standing_of(req: AccessRequest) -> Standing:
    return Standing(req.id, req.status, req.expires_at, req.suspended_reason, req.ended_by, req.end_reason)


def actor_of(req: AccessRequest, unit: str | None, bureau: bool) -> Actor:
    """Who takes a provider's or bureau's step: the bureau, or the request's provider; anyone else is refused."""
    if bureau:
        return "bureau"
    if unit == req.provider:
        return "provider"
    raise TransitionRefused(f"provider: subscription {req.id} is {req.provider}'s to manage, not {unit}'s",
                            status=403)


def _held(req: AccessRequest, *statuses: str, action: str) -> None:
    if req.status not in statuses:
        raise TransitionRefused(f"status: subscription {req.id} is {req.status}; only {' or '.join(statuses)} "
                                f"can be {action}")


def _reason(reason: str | None, action: str) -> str:
    if not (reason or "").strip():
        raise TransitionRefused(f"reason: {action} a subscription needs a reason", status=422)
    return (reason or "").strip()


def expire(req: AccessRequest) -> AccessRequest:
    """At the end of its term (the watcher calls it once the instant has passed)."""
    _held(req, "active", "suspended", action="expired")
    assert req.expires_at is not None
    return replace(req, status="expired", ended_at=req.expires_at, ended_by="clock", end_reason="term ended")


def renew(req: AccessRequest, by: Actor, days: int, now: datetime) -> AccessRequest:
    _held(req, "active", "expired", action="renewed")
    if days < 1:
        raise TransitionRefused("valid_days: a renewal is for at least one day", status=422)
    start = req.expires_at if req.expires_at is not None and req.expires_at > now else now
    return replace(req, status="active", expires_at=start + timedelta(days=days), valid_days=days,
                   ended_at=None, ended_by=None, end_reason=None, renewal_asked_at=None)


def ask_renewal(req: AccessRequest, consumer: str, now: datetime) -> AccessRequest:
    if consumer != req.requester:
        raise TransitionRefused(f"requester: subscription {req.id} is {req.requester}'s, not {consumer}'s",
                                status=403)
    _held(req, "active", "expired", action="asked to be renewed")
    if req.expires_at is None:
        raise TransitionRefused(f"expires_at: subscription {req.id} has no term to renew")
    return replace(req, renewal_asked_at=now)


def revoke(req: AccessRequest, by: Actor, reason: str | None, now: datetime) -> AccessRequest:
    _held(req, "active", "suspended", action="revoked")
    return replace(req, status="revoked", ended_at=now, ended_by=by, end_reason=_reason(reason, "revoking"))


def suspend(req: AccessRequest, reason: str | None, now: datetime) -> AccessRequest:
    _held(req, "active", action="suspended")
    return replace(req, status="suspended", suspended_at=now, suspended_reason=_reason(reason, "suspending"))


def resume(req: AccessRequest) -> AccessRequest:
    _held(req, "suspended", action="resumed")
    return replace(req, status="active", suspended_at=None, suspended_reason=None)


def set_quota(req: AccessRequest, per_minute: int | None, per_day: int | None) -> AccessRequest:
    _held(req, "active", "suspended", action="given a quota")
    return replace(req, quota_per_minute=per_minute, quota_per_day=per_day)


def changed(before: AccessRequest, after: AccessRequest, by: Actor | Literal["clock"],
            reason: str | None = None) -> SubscriptionChanged | None:
    """The event a step owes (None for a quota change or a renewal request: no change of state or term)."""
    if before.status == after.status and before.expires_at == after.expires_at:
        return None
    change = {"expired": "expired", "revoked": "revoked", "suspended": "suspended"}.get(after.status) \
        or ("resumed" if before.status == "suspended" else "renewed")
    return SubscriptionChanged(request_id=after.id, resource_code=after.resource_code, provider_unit=after.provider,
                               change=change, by=by, reason=reason, expires_at=after.expires_at)
