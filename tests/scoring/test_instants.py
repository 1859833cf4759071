"""Instants are exact whatever offset or zone a time is written in: the fast path (the epoch written in the
time's own fixed offset, so that the subtraction skips both offset lookups) must agree with the plain aware
subtraction everywhere, and must not be taken for a zone whose offset changes (daylight saving)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from contracts.fastdecode import decode
from hypothesis import given
from hypothesis import strategies as st
from scoring.domain.clock import EPOCH, to_instant
from scoring.domain.facts import FactStore
from scoring.domain.projection import Projection
from scoring.domain.ruleset import builtin_ruleset

from tests.scoring.builders import DEPT, Log

US = timedelta(microseconds=1)
OFFSETS = st.builds(lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-23 * 60 - 59, 23 * 60 + 59))
ZONES = st.sampled_from([ZoneInfo("America/New_York"), ZoneInfo("Europe/London"), ZoneInfo("Asia/Shanghai"),
                         ZoneInfo("Australia/Lord_Howe")])  # the last moves by half an hour


def exact(dt: datetime) -> int:
    """The definition: the aware difference from the epoch, in microseconds."""
    return (dt - EPOCH) // US


@given(st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2200, 1, 1)), OFFSETS | ZONES)
def test_an_instant_is_the_exact_distance_from_the_epoch(naive: datetime, tz: timezone | ZoneInfo) -> None:
    dt = naive.replace(tzinfo=tz)
    assert to_instant(dt) == exact(dt)
    assert to_instant(dt.astimezone(UTC)) == exact(dt)


def test_the_same_zone_across_a_change_of_offset_keeps_the_real_distance() -> None:
    """Two times an hour apart across New York's spring change, in one zone object: subtracting them as if
    they shared an offset (what the fast path does) would put them two hours apart."""
    zone = ZoneInfo("America/New_York")
    before, after = datetime(2019, 3, 10, 1, 30, tzinfo=zone), datetime(2019, 3, 10, 3, 30, tzinfo=zone)
    assert to_instant(after) - to_instant(before) == 3_600_000_000
    assert to_instant(before) == exact(before) and to_instant(after) == exact(after)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="offset"):
        to_instant(datetime(2019, 8, 1))


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)), OFFSETS)
def test_folds_place_an_event_where_its_instant_is(naive: datetime, tz: timezone) -> None:
    """The store's and the projection's inlined conversions agree with the definition for events decoded from
    JSON (msgspec's own timezone objects) in any offset."""
    log = Log()
    log.register(DEPT, when=naive.replace(tzinfo=tz).isoformat())
    [env] = [decode(line) for line in log.lines()]
    projection = Projection(builtin_ruleset(), None)
    projection.fold([env])
    assert projection.watermark == exact(env.occurred_at)
    store = FactStore()
    assert store.fold(env)
    registration = store.directory.units[DEPT]
    assert registration is not None and registration.stamp[0] == exact(env.occurred_at)
