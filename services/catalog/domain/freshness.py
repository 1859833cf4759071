"""Freshness of mounted data: stale once the last update is older than one update cycle.

Cycles of days are exact durations; cycles of months are calendar months on the Asia/Shanghai
wall clock, clamped to the month's last day (31 January + 1 month = 28/29 February), so a monthly
resource updated at 10:00 on 31 January is stale from 10:00 on the last day of February.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.workdays import SHANGHAI
from dateutil.relativedelta import relativedelta

# (days, calendar months) of one cycle.
CYCLES: dict[str, tuple[int, int]] = {
    "realtime": (1, 0),
    "daily": (1, 0),
    "weekly": (7, 0),
    "monthly": (0, 1),
    "quarterly": (0, 3),
    "yearly": (0, 12),
}


def stale_at(last_update: datetime, cycle: str) -> datetime:
    """The first instant at which data last updated at `last_update` counts as stale."""
    if last_update.tzinfo is None:
        raise ValueError("last_update needs an offset")
    try:
        days, months = CYCLES[cycle]
    except KeyError:
        raise ValueError(f"unknown update cycle {cycle!r}") from None
    if months:
        local = last_update.astimezone(SHANGHAI)
        return (local + relativedelta(months=months)).astimezone(last_update.tzinfo)
    return last_update + timedelta(days=days)


@dataclass(frozen=True)
class Freshness:
    last_update: datetime
    stale_at: datetime
    stale: bool
    # Negative once stale: how long ago it turned.
    remaining: timedelta


def freshness(last_update: datetime, cycle: str, now: datetime) -> Freshness:
    due = stale_at(last_update, cycle)
    return Freshness(last_update=last_update, stale_at=due, stale=now >= due, remaining=due - now)
