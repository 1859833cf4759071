"""PRC working days from chinese_calendar, including make-up weekends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from contracts import workdays
from contracts.workdays import (
    SHANGHAI,
    add_working_days,
    is_working_day,
    working_days_between,
    working_deadline,
)


def test_national_day_2019() -> None:
    assert is_working_day(date(2019, 9, 29))  # Sunday, make-up working day
    assert is_working_day(date(2019, 10, 12))  # Saturday, make-up working day
    assert not any(is_working_day(date(2019, 10, d)) for d in range(1, 8))
    assert not is_working_day(date(2019, 10, 13))  # an ordinary Sunday
    assert is_working_day(date(2019, 10, 8))


def test_forwarded_friday_before_national_day() -> None:
    start = datetime(2019, 9, 27, 10, 0, tzinfo=SHANGHAI)
    # 09-29 (Sun, make-up) is day 1, 09-30 day 2, 10-08 day 3: the deadline is 24:00 of 10-08
    assert add_working_days(date(2019, 9, 27), 3) == date(2019, 10, 8)
    deadline = working_deadline(start, 3)
    assert deadline == datetime(2019, 10, 9, 0, 0, tzinfo=SHANGHAI)
    assert deadline.isoformat() == "2019-10-09T00:00:00+08:00"


def test_deadline_ignores_time_of_day() -> None:
    early = working_deadline(datetime(2019, 8, 5, 0, 0, tzinfo=SHANGHAI), 5)
    late = working_deadline(datetime(2019, 8, 5, 23, 59, tzinfo=SHANGHAI), 5)
    assert early == late == datetime(2019, 8, 13, tzinfo=SHANGHAI)  # Mon 08-05 + 5 = Mon 08-12, 24:00


def test_across_year_end() -> None:
    # 2020-01-01 is New Year's Day; 01-02 and 01-03 are working days
    assert add_working_days(date(2019, 12, 31), 2) == date(2020, 1, 3)
    assert working_deadline(datetime(2019, 12, 31, 9, tzinfo=SHANGHAI), 2) == datetime(2020, 1, 4, tzinfo=SHANGHAI)


def test_utc_start_already_next_day_in_shanghai() -> None:
    # 2019-09-29T17:00Z is Mon 2019-09-30 01:00 in Shanghai: counting starts after 09-30
    start = datetime(2019, 9, 29, 17, 0, tzinfo=UTC)
    assert working_deadline(start, 1) == datetime(2019, 10, 9, tzinfo=SHANGHAI)
    # one hour earlier it is still Sunday 09-29 in Shanghai: day 1 is 09-30
    assert working_deadline(start - timedelta(hours=2), 1) == datetime(2019, 10, 1, tzinfo=SHANGHAI)


def test_naive_start_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        working_deadline(datetime(2019, 9, 27, 10), 3)


def test_working_days_between() -> None:
    assert working_days_between(date(2019, 9, 27), date(2019, 10, 8)) == 3
    assert working_days_between(date(2019, 10, 8), date(2019, 9, 27)) == -3
    assert working_days_between(date(2019, 10, 1), date(2019, 10, 7)) == 0
    assert working_days_between(date(2019, 10, 1), date(2019, 10, 1)) == 0


def test_add_working_days_needs_positive_n() -> None:
    with pytest.raises(ValueError, match="n must be >= 1"):
        add_working_days(date(2019, 9, 27), 0)


def test_datetime_is_not_a_date_here() -> None:
    with pytest.raises(TypeError, match="takes a date"):
        is_working_day(datetime(2019, 9, 29, tzinfo=SHANGHAI))


@pytest.fixture
def fresh_schedules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workdays, "_installed", {})
    monkeypatch.setattr(workdays, "_provisional", set())
    monkeypatch.setattr(workdays, "_answers", {})


@pytest.mark.usefixtures("fresh_schedules")
def test_a_year_without_a_schedule_is_counted_by_the_statutory_rule_and_reported() -> None:
    """The package covers up to 2026 (Dec 2026: the 2027 schedule is not in it). A deadline across New Year
    raised, and every exchange request (and the scoring projection) failed from late December."""
    assert workdays.provisional_years() == []
    assert is_working_day(date(2099, 1, 5)) is True  # a Monday
    assert is_working_day(date(2099, 1, 1)) is False  # New Year's Day, a Thursday
    assert is_working_day(date(2099, 10, 2)) is False and is_working_day(date(2099, 1, 3)) is False  # Saturday
    assert workdays.provisional_years() == [2099]
    # a request made on Monday 28 December 2026: 5 working days run into 2027 (1 January is a Friday)
    assert working_deadline(datetime(2026, 12, 28, 10, tzinfo=SHANGHAI), 5) == datetime(2027, 1, 6, tzinfo=SHANGHAI)
    assert workdays.provisional_years() == [2027, 2099]
    assert is_working_day(date(2003, 1, 6)) is True  # too old for the package: the same rule


@pytest.mark.usefixtures("fresh_schedules")
def test_an_installed_official_schedule_replaces_the_provisional_count() -> None:
    assert is_working_day(date(2099, 1, 2)) is True
    years = workdays.install_schedule("[2099]\nholidays = [2099-01-02]\nworkdays = [2099-01-03]\n")
    assert years == [2099] and workdays.provisional_years() == []
    assert is_working_day(date(2099, 1, 2)) is False and is_working_day(date(2099, 1, 3)) is True
    assert is_working_day(date(2099, 1, 1)) is True  # only what the schedule lists is off, beyond weekends
    assert add_working_days(date(2098, 12, 31), 1) == date(2099, 1, 1)


@pytest.mark.usefixtures("fresh_schedules")
@pytest.mark.parametrize(("text", "why"), [
    ("[2099]\nholidays = ['2099-01-02']\n", "list of dates"),
    ("[2099]\nholidays = [2098-12-31]\n", "another year"),
    ("[2099]\nholidays = [2099-01-02]\nworkdays = [2099-01-02]\n", "both"),
    ("[2099]\nfestivals = []\n", "only `holidays` and `workdays`"),
    ("[next]\nholidays = []\n", "not a year"),
    ("[2099\n", "schedule"),
])
def test_a_bad_schedule_file_is_refused_naming_the_year(text: str, why: str) -> None:
    with pytest.raises(workdays.ScheduleInvalid, match=why):
        workdays.install_schedule(text)
    assert workdays._installed == {}
