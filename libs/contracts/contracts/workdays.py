"""PRC working days (State Council holiday schedule, including make-up weekends, 调休).

The schedule comes from the `chinese_calendar` package, never a hand-written list. The State Council
publishes next year's schedule in November or December, often before the package is released again: the
official schedule of such a year is installed from a file (`install_schedule`, HUB_WORKDAY_SCHEDULE) the
day it is published. A year neither covers is not refused (a deadline crossing New Year would stop every
service that computes one, the scoring projection with them): it is counted by the statutory rule alone,
Monday to Friday less the fixed-date public holidays of 《全国年节及纪念日放假办法》 (New Year's Day, 1–2 May,
1–3 October), and reported as provisional (`provisional_years`, a warning once per year), never silently.
"""

from __future__ import annotations

import logging
import tomllib
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
_DAY = timedelta(days=1)


_log = logging.getLogger(__name__)
# (month, day) of the public holidays on fixed Gregorian dates (the lunar and solar-term ones move)
FIXED_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})
_installed: dict[int, tuple[frozenset[date], frozenset[date]]] = {}  # year -> (holidays, make-up workdays)
_provisional: set[int] = set()
# Every answer given, by day: chinese_calendar validates and looks up each date anew, which made a sweep over
# a province's units (working days before each deadline) hold the event loop for a third of a second.
# Emptied whenever a schedule is installed.
_answers: dict[date, bool] = {}


class ScheduleInvalid(ValueError):
    """An installed schedule file breaks a rule; the message names the year and the day."""


def install_schedule(text: str, origin: str = "schedule") -> list[int]:
    """Install official schedules (TOML: a table per year, `holidays` and `workdays` lists of its dates:
    the days off that would be working days, and the weekend days worked instead). Returns the years."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScheduleInvalid(f"{origin}: {exc}") from None
    parsed: dict[int, tuple[frozenset[date], frozenset[date]]] = {}
    for key, table in raw.items():
        if not (key.isdigit() and len(key) == 4) or not isinstance(table, dict):
            raise ScheduleInvalid(f"{origin}: [{key}] is not a year's table")
        if set(table) - {"holidays", "workdays"}:
            raise ScheduleInvalid(f"{origin}: [{key}] has only `holidays` and `workdays`")
        days = {}
        for name in ("holidays", "workdays"):
            values = table.get(name, [])
            if not isinstance(values, list) or not all(isinstance(v, date) and not isinstance(v, datetime)
                                                       for v in values):
                raise ScheduleInvalid(f"{origin}: [{key}] {name} is a list of dates (YYYY-MM-DD, unquoted)")
            if any(v.year != int(key) for v in values):
                raise ScheduleInvalid(f"{origin}: [{key}] {name} lists a day of another year")
            days[name] = frozenset(values)
        if days["holidays"] & days["workdays"]:
            raise ScheduleInvalid(f"{origin}: [{key}] lists a day as both a holiday and a workday")
        parsed[int(key)] = (days["holidays"], days["workdays"])
    _installed.update(parsed)
    _provisional.difference_update(parsed)
    _answers.clear()
    return sorted(parsed)


def install_schedule_file(path: str | Path) -> list[int]:
    return install_schedule(Path(path).read_text(encoding="utf-8"), str(path))


def provisional_years() -> list[int]:
    """Years counted by the statutory rule alone so far (no official schedule known for them)."""
    return sorted(_provisional)


def is_working_day(d: date) -> bool:
    if isinstance(d, datetime):  # a datetime's date depends on its zone: make the caller choose
        raise TypeError("is_working_day takes a date; convert datetimes to Asia/Shanghai first")
    known = _answers.get(d)
    if known is None:
        if len(_answers) > 100_000:  # some centuries of days: a caller walking far; start again
            _answers.clear()
        known = _answers[d] = _judge(d)
    return known


def _judge(d: date) -> bool:
    installed = _installed.get(d.year)
    if installed is not None:
        holidays, workdays = installed
        return d in workdays or (d.weekday() < 5 and d not in holidays)
    try:
        return bool(chinese_calendar.is_workday(d))
    except NotImplementedError:
        if d.year not in _provisional:
            _provisional.add(d.year)
            _log.warning("no official PRC holiday schedule for %d: working days counted provisionally "
                         "(Monday to Friday less the fixed-date holidays); install it with HUB_WORKDAY_SCHEDULE",
                         d.year)
        return d.weekday() < 5 and (d.month, d.day) not in FIXED_HOLIDAYS


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
