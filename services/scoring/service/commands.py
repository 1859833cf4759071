"""What the scoring service is asked to do through its API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from hubkit.auth import Principal


@dataclass(frozen=True)
class RecordFinding:
    actor: Principal
    finding_id: str
    unit: str
    item: str
    effect: str
    count: int | None
    numerator: int | None
    denominator: int | None
    size: int | None
    attributed_unit: str | None
    note: str
    at: datetime


@dataclass(frozen=True)
class RetractFinding:
    actor: Principal
    finding_id: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class CloseMonth:
    actor: Principal
    month: str
    bureau_unit: str  # the unit the month-closed event is about
    at: datetime


@dataclass(frozen=True)
class SetWebhook:
    actor: Principal
    unit: str
    url: str
    secret: str


@dataclass(frozen=True)
class StopWebhook:
    actor: Principal
    unit: str
    webhook_id: int


@dataclass(frozen=True)
class Submit:
    actor: Principal
    unit: str
    kind: str
    period: str | None  # None: "once" for a one-off requirement, the current month for a monthly one
    file_name: str
    file: bytes
    completed: bool
    at: datetime
    # The bureau enters a document it received outside the hub (on paper, by mail) with the day it came.
    received_at: datetime | None = None


@dataclass(frozen=True)
class Review:
    actor: Principal
    unit: str
    submission_id: str
    accept: bool
    reason: str | None
    at: datetime


@dataclass(frozen=True)
class SweepSubmissions:
    at: datetime  # the service clock: deadlines up to here (less the grace) are judged


@dataclass(frozen=True)
class Appeal:
    actor: Principal
    finding_id: str
    reason: str
    file_name: str | None
    file: bytes | None
    at: datetime


@dataclass(frozen=True)
class DecideAppeal:
    actor: Principal
    appeal_id: str
    upheld: bool
    reason: str
    at: datetime


@dataclass(frozen=True)
class ClaimEntry:
    """One entry of a unit's system inventory, stated whole (see domain/inventory.py)."""

    actor: Principal
    unit: str
    entry_id: str
    kind: Literal["private-network", "information-system"]
    name: str
    origin: Literal["self-built", "national-vertical"] | None
    service_items: int
    connected: bool
    decommissioned: bool
    on_cloud: bool
    docked_items: int
    form_items: int
    evidence: str
    at: datetime


@dataclass(frozen=True)
class ReviewClaim:
    actor: Principal
    unit: str
    claim_id: str
    verify: bool
    reason: str | None
    at: datetime
