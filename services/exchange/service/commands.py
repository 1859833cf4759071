"""What the exchange is asked to do, each as a small immutable command; `actor` is who asks and `at`
the service clock's now."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hubkit.auth import Principal

from exchange.domain.requests import DECISION_DAYS, Terms


@dataclass(frozen=True)
class SubmitRequest:
    actor: Principal
    requester: str
    resource_code: str
    purpose: str
    at: datetime
    terms: Terms = field(default_factory=Terms)  # what a grant at once (an unconditional share) carries


@dataclass(frozen=True)
class ReviewRequest:
    actor: Principal
    request_id: str
    passed: bool
    reason: str | None
    at: datetime
    decision_days: dict[str, int] = field(default_factory=lambda: dict(DECISION_DAYS))


@dataclass(frozen=True)
class DecideRequest:
    actor: Principal
    request_id: str
    approve: bool
    reason: str | None
    at: datetime
    terms: Terms = field(default_factory=Terms)  # what an approval grants


@dataclass(frozen=True)
class ReplyRequest:
    actor: Principal
    request_id: str
    at: datetime


@dataclass(frozen=True)
class RaiseDispute:
    actor: Principal
    resource_code: str
    description: str
    at: datetime
    found_at: datetime | None = None  # when the consumer found the problem (default: now)
    records: tuple[str, ...] = ()  # keys of the records or rows concerned


@dataclass(frozen=True)
class AnswerDispute:
    actor: Principal
    dispute_id: str
    upheld: bool
    answer: str
    at: datetime
    correction: str | None = None  # an upheld dispute: how the data was corrected (the update)
    correction_delivery: str | None = None  # the table batch or file version that carries the correction


@dataclass(frozen=True)
class RecordDataUse:
    actor: Principal
    resource_code: str
    purpose: str
    note: str | None
    at: datetime


@dataclass(frozen=True)
class SetEndpoint:
    actor: Principal
    resource_code: str
    base_url: str
    timeout_ms: int


@dataclass(frozen=True)
class ReportedCall:
    call_id: str
    consumer: str
    resource_code: str
    started_at: datetime
    ended_at: datetime
    status_code: int | None
    request_bytes: int
    response_bytes: int
    error: Any  # the gateway's error kind, or None for a success


@dataclass(frozen=True)
class ReportCalls:
    actor: Principal
    calls: tuple[ReportedCall, ...]


@dataclass(frozen=True)
class ChangeSubscription:
    """A step in a subscription's life (domain/subscriptions.py): renew, revoke, suspend, resume, quota (set
    its quota), ask-renewal (the consumer asks its provider to renew)."""

    actor: Principal
    request_id: str
    action: str
    at: datetime
    reason: str | None = None
    valid_days: int | None = None
    per_minute: int | None = None
    per_day: int | None = None


@dataclass(frozen=True)
class RegisterSystem:
    actor: Principal
    unit: str
    name: str
    at: datetime


@dataclass(frozen=True)
class ChangeSystem:
    """rotate (a new key; the old one stops at once) or revoke (the system and its key, for good)."""

    actor: Principal
    system_id: str
    action: str
    at: datetime


@dataclass(frozen=True)
class DeliverBatch:
    actor: Principal
    resource_code: str
    body: bytes
    format: str  # jsonl | csv
    at: datetime


@dataclass(frozen=True)
class UploadFile:
    actor: Principal
    resource_code: str
    content: bytes
    sha256: str | None  # as the uploader states it
    name: str | None
    media_type: str
    at: datetime


@dataclass(frozen=True)
class RaiseDemand:
    actor: Principal
    what: str
    why: str
    suggested_provider: str | None
    at: datetime


@dataclass(frozen=True)
class AssignDemand:
    actor: Principal
    demand_id: str
    provider: str
    days: int
    at: datetime


@dataclass(frozen=True)
class RejectDemand:
    actor: Principal
    demand_id: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class FulfilDemand:
    actor: Principal
    demand_id: str
    resource_code: str
    at: datetime
    terms: Terms = field(default_factory=Terms)  # what a grant at once (an unconditional share) carries


@dataclass(frozen=True)
class RefuseDemand:
    actor: Principal
    demand_id: str
    basis: str
    at: datetime


@dataclass(frozen=True)
class RateResource:
    actor: Principal
    resource_code: str
    quality: int
    timeliness: int
    usefulness: int
    comment: str | None
    at: datetime
