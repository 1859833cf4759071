"""PRC working days (State Council holiday schedule, including make-up weekends, 调休).

The schedule comes from the `chinese_calendar` package, never a hand-written list; a year it
does not cover raises CalendarOutOfRange instead of silently treating holidays as workdays.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
_DAY = timedelta(days=1)


class CalendarOutOfRange(ValueError):
    """The holiday schedule of this year is not known (not yet published, or too old)."""


def is_working_day(d: date) -> bool:
    if isinstance(d, datetime):  # a datetime's date depends on its zone: make the caller choose
        raise TypeError("is_working_day takes a date; convert datetimes to Asia/Shanghai first")
    try:
        return bool(chinese_calendar.is_workday(d))
    except NotImplementedError as exc:
        raise CalendarOutOfRange(f"no PRC holiday schedule for {d.year}: {exc}") from None


def add_working_days(d: date, n: int) -> date:
    """The n-th working day strictly after d (n >= 1)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    while n:
        d += _DAY
        n -= is_working_day(d)
    return d


def working_deadline(start: datetime, n: int) -> datetime:
    """24:00 Asia/Shanghai (next day 00:00) of the n-th working day after start's local day."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be timezone-aware")
    last = add_working_days(start.astimezone(SHANGHAI).date(), n)
    return datetime.combine(last + _DAY, time(0), tzinfo=SHANGHAI)


def working_days_between(a: date, b: date) -> int:
    """Working days in (a, b]; negative (minus those in (b, a]) when b is before a."""
    if b < a:
        return -working_days_between(b, a)
    count, d = 0, a
    while d < b:
        d += _DAY
        count += is_working_day(d)
    return count
