"""Instants and Asia/Shanghai calendar arithmetic on integer microseconds.

Instants are ints (microseconds since the Unix epoch, UTC): exact, hashable and cheap to
compare, which folding a million events needs. Asia/Shanghai has kept UTC+08:00 without DST
since 1991-09; the fast fixed-offset path is only used after that, zoneinfo otherwise.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

Instant = int
SHANGHAI = ZoneInfo("Asia/Shanghai")
US = 1_000_000
DAY_US = 86_400 * US
_OFFSET_US = 8 * 3600 * US
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FIXED_FROM = 685_000_000 * US  # 1991-09-15: no Shanghai transitions after this


# The epoch written in each fixed offset seen. Subtracting two datetimes that share one tzinfo object skips both
# utcoffset() calls: 32 ns instead of 347, a fifth of folding an event in a replay. Exact, since a fixed offset is
# the same at both ends; a zone with transitions (zoneinfo) keeps the general subtraction. msgspec shares one
# timezone object per offset, so the offsets met are few; the table is capped all the same.
EPOCHS: dict[tzinfo | None, datetime] = {UTC: EPOCH}  # None is never in it: epoch_in refuses a naive time
ONE_US = timedelta(microseconds=1)  # a timedelta // ONE_US is its microseconds, in one C call
_MAX_EPOCHS = 64


def epoch_in(tz: tzinfo | None) -> datetime:
    """The epoch to subtract from a datetime whose tzinfo is `tz` (the slow path of `EPOCHS.get(tz)`)."""
    if tz is None:
        raise ValueError("naive datetime: an offset is required")
    if type(tz) is not timezone:
        return EPOCH
    epoch = EPOCH.astimezone(tz)
    if len(EPOCHS) < _MAX_EPOCHS:
        EPOCHS[tz] = epoch
    return epoch


def to_instant(dt: datetime) -> Instant:
    """Exact conversion of an aware datetime (never via float)."""
    tz = dt.tzinfo
    return (dt - (EPOCHS.get(tz) or epoch_in(tz))) // ONE_US


def to_datetime(t: Instant) -> datetime:
    return (EPOCH + timedelta(microseconds=t)).astimezone(SHANGHAI)


def local_day(t: Instant) -> int:
    """Proleptic ordinal of the Asia/Shanghai calendar day containing t."""
    if t >= _FIXED_FROM:
        return (t + _OFFSET_US) // DAY_US + 719_163  # 719163 = date(1970,1,1).toordinal()
    return to_datetime(t).date().toordinal()


def local_date(t: Instant) -> date:
    return date.fromordinal(local_day(t))


@lru_cache(maxsize=8192)
def day_start(ordinal: int) -> Instant:
    """00:00 Asia/Shanghai of a calendar day."""
    d = date.fromordinal(ordinal)
    return to_instant(datetime(d.year, d.month, d.day, tzinfo=SHANGHAI))


def date_start(d: date) -> Instant:
    return day_start(d.toordinal())


def date_end(d: date) -> Instant:
    """24:00 of day d, i.e. 00:00 of the next day: "by D" means strictly before this."""
    return day_start(d.toordinal() + 1)


@lru_cache(maxsize=8192)
def _month_of_day(ordinal: int) -> str:
    d = date.fromordinal(ordinal)
    return f"{d.year:04d}-{d.month:02d}"


def month_of(t: Instant) -> str:
    """'YYYY-MM' of the Asia/Shanghai month containing t."""
    return _month_of_day(local_day(t))


def month_of_day(ordinal: int) -> str:
    """'YYYY-MM' of a calendar day ordinal."""
    return _month_of_day(ordinal)


def parse_month(month: str) -> tuple[int, int]:
    try:
        year, mon = (int(p) for p in month.split("-"))
        date(year, mon, 1)
    except (ValueError, TypeError):
        raise ValueError(f"month must be YYYY-MM, got {month!r}") from None
    if len(month) != 7:
        raise ValueError(f"month must be YYYY-MM, got {month!r}")
    if not 1900 <= year <= 2999:  # a month must have a next one, and instants in it must fit in UTC
        raise ValueError(f"month must be between 1900-01 and 2999-12, got {month!r}")
    return year, mon


def add_months_date(d: date, n: int) -> date:
    """Calendar-month arithmetic; the day is clamped to the target month's length."""
    y, m = divmod(d.month - 1 + n, 12)
    year, mon = d.year + y, m + 1
    return date(year, mon, min(d.day, monthrange(year, mon)[1]))


def add_months(t: Instant, n: int) -> Instant:
    """t plus n calendar months in Asia/Shanghai local time."""
    local = to_datetime(t)
    d = add_months_date(local.date(), n)
    shifted = datetime.combine(d, local.timetz().replace(tzinfo=None), tzinfo=SHANGHAI)
    return to_instant(shifted)


@lru_cache(maxsize=4096)  # pure, and asked for the same few months all the time
def month_bounds(month: str) -> tuple[Instant, Instant]:
    """[first day 00:00, next month's first day 00:00) in Asia/Shanghai."""
    year, mon = parse_month(month)
    first = date(year, mon, 1)
    return date_start(first), date_start(add_months_date(first, 1))


@lru_cache(maxsize=4096)  # pure, and asked for the same few months all the time
def shift_month(month: str, n: int) -> str:
    year, mon = parse_month(month)
    d = add_months_date(date(year, mon, 1), n)
    return f"{d.year:04d}-{d.month:02d}"


def format_instant(t: Instant) -> str:
    """RFC 3339 in Asia/Shanghai, microseconds only when present (stable for hashing)."""
    dt = to_datetime(t)
    spec = "seconds" if dt.microsecond == 0 else "microseconds"
    return dt.isoformat(timespec=spec)
