"""Flags cost in every month during which they held at some instant of [month start, T]."""

from __future__ import annotations

from tests.scoring.builders import CITY, COUNTY, DEPT, Log, items, unit_score


def _months(log: Log, unit: str, months: list[str], item: str) -> list[str | None]:
    return [items(unit_score(log, unit, m)).get(item) for m in months]


def test_flag_held_and_resolved_across_months() -> None:
    log = Log()
    log.register(DEPT)
    log.finding(DEPT, "A1.2", "holds", "2019-07-10 10:00")
    log.finding(DEPT, "A1.2", "resolved", "2019-08-20 10:00")  # resolved on the 20th: August still costs
    assert _months(log, DEPT, ["2019-06", "2019-07", "2019-08", "2019-09"], "A1.2") == [None, "2", "2", None]


def test_repeated_holds_and_reopening() -> None:
    log = Log()
    log.register(DEPT)
    log.finding(DEPT, "A4.3", "holds", "2019-06-10 10:00")
    log.finding(DEPT, "A4.3", "holds", "2019-06-12 10:00")
    log.finding(DEPT, "A4.3", "resolved", "2019-06-30 10:00")
    log.finding(DEPT, "A4.3", "holds", "2019-08-15 10:00")
    assert _months(log, DEPT, ["2019-06", "2019-07", "2019-08", "2019-09"], "A4.3") == ["1", None, "1", "1"]


def test_resolved_exactly_at_month_start_is_clean_that_month() -> None:
    log = Log()
    log.register(DEPT)
    log.finding(DEPT, "A1.1", "holds", "2019-08-10 10:00")
    log.finding(DEPT, "A1.1", "resolved", "2019-08-31T16:00:00Z")  # = 2019-09-01 00:00 Shanghai
    assert _months(log, DEPT, ["2019-08", "2019-09"], "A1.1") == ["1", None]


def test_utc_offsets_month_boundary() -> None:
    log = Log()
    log.register(DEPT)
    log.finding(DEPT, "A1.1", "holds", "2019-07-31T16:30:00Z")  # 2019-08-01 00:30 in Shanghai
    assert _months(log, DEPT, ["2019-07", "2019-08"], "A1.1") == [None, "1"]


def test_live_as_of_includes_events_at_t() -> None:
    log = Log()
    log.register(DEPT)
    log.finding(DEPT, "A1.7", "holds", "2019-08-20 10:00")
    assert items(unit_score(log, DEPT, "2019-08", as_of="2019-08-20 09:59")) == {}
    assert items(unit_score(log, DEPT, "2019-08", as_of="2019-08-20 10:00")) == {"A1.7": "3"}


def test_deadline_flag_judged_only_after_the_deadline_day() -> None:
    # A3.1: "by 2019-04-30"; held since March, resolved 2019-05-10.
    log = Log()
    log.register(DEPT)
    log.finding(DEPT, "A3.1", "holds", "2019-03-01 10:00")
    log.finding(DEPT, "A3.1", "resolved", "2019-05-10 10:00")
    assert _months(log, DEPT, ["2019-03", "2019-04", "2019-05", "2019-06"], "A3.1") == [None, None, "0.5", None]


def test_from_date_flag() -> None:
    # A5.5: from 2019-06-01.
    log = Log()
    log.register(DEPT)
    log.finding(DEPT, "A5.5", "holds", "2019-05-15 10:00")
    assert _months(log, DEPT, ["2019-05", "2019-06"], "A5.5") == [None, "3"]


def test_city_only_flag_ignored_for_departments() -> None:
    log = Log()
    log.register(DEPT)
    log.register(CITY, kind="city")
    for unit in (DEPT, CITY):
        log.finding(unit, "A1.8", "holds", "2019-08-01 10:00")
    assert items(unit_score(log, DEPT, "2019-08")) == {}
    assert items(unit_score(log, CITY, "2019-08")) == {"A1.8": "2"}


def test_county_c21_is_deducted_from_its_city() -> None:
    log = Log()
    log.register(CITY, kind="city")
    log.register(COUNTY, kind="county", parent=CITY)
    log.finding(COUNTY, "C2.1", "holds", "2019-08-03 10:00")
    log.finding(COUNTY, "C2.1", "resolved", "2019-08-25 10:00")
    city_aug = unit_score(log, CITY, "2019-08")
    assert items(city_aug) == {"C2.1": "4"}
    assert str(city_aug.x) == "96.00"
    assert items(unit_score(log, CITY, "2019-09")) == {}


def test_flag_causes_are_the_holds_findings() -> None:
    log = Log()
    log.register(DEPT)
    held = log.finding(DEPT, "B2.6", "holds", "2019-08-03 10:00")
    r = unit_score(log, DEPT, "2019-08")
    assert list(r.causes["B2.6"]) == [held["id"]]
