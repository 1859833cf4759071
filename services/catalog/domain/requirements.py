"""Requirement batches: resources a unit must publish and mount by a deadline, and its progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from contracts.workdays import SHANGHAI, is_working_day, working_days_between

BatchKind = str  # first_batch_catalog | business_environment | high_frequency | theme


@dataclass(frozen=True)
class Progress:
    batch_id: str
    batch_kind: BatchKind
    unit: str
    deadline: date
    required: int
    published: int
    mounted: int
    missing: tuple[str, ...]
    working_days_left: int
    overdue: bool

    @property
    def complete(self) -> bool:
        return not self.missing


def working_days_left(deadline: date, now: datetime) -> int:
    """Working days from today (counted if a working day) through the deadline; 0 once it passed."""
    today = now.astimezone(SHANGHAI).date()
    if today > deadline:
        return 0
    return working_days_between(today, deadline) + (1 if is_working_day(today) else 0)


def progress(batch_id: str, batch_kind: BatchKind, unit: str, deadline: date, codes: list[str],
             published: set[str], mounted: set[str], now: datetime) -> Progress:
    missing = tuple(c for c in codes if c not in mounted)
    today = now.astimezone(SHANGHAI).date()
    return Progress(
        batch_id=batch_id, batch_kind=batch_kind, unit=unit, deadline=deadline, required=len(codes),
        published=sum(c in published for c in codes), mounted=sum(c in mounted for c in codes), missing=missing,
        working_days_left=working_days_left(deadline, now), overdue=bool(missing) and today > deadline,
    )
