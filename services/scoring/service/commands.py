"""What the scoring service is asked to do through its API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
