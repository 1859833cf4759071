"""Working-day deadlines (PRC holiday schedule, make-up weekends) from contracts.workdays."""

from __future__ import annotations

from functools import lru_cache

from scoring.domain.clock import Instant, day_start, local_day, to_datetime, to_instant


@lru_cache(maxsize=16384)
def _deadline_for_day(ordinal: int, n: int) -> Instant:
    # The deadline depends only on the calendar day of the start: compute once per day.
    from contracts.workdays import working_deadline  # the PRC calendar lives in contracts

    return to_instant(working_deadline(to_datetime(day_start(ordinal)), n))


def working_deadline_at(start: Instant, n: int) -> Instant:
    """24:00 Asia/Shanghai of the n-th working day strictly after start's local day."""
    return _deadline_for_day(local_day(start), n)
