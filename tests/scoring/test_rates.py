"""Tiered rates: points of the lowest threshold the rate is below, judged on the state at T."""

from __future__ import annotations

import pytest

from tests.scoring.builders import DEPT, Log, code, items, unit_score


@pytest.mark.parametrize(
    ("num", "den", "points"),
    [
        (0, 10, "5"),
        (9, 100, "5"),
        (10, 100, "4"),
        (29, 100, "4"),
        (30, 100, "3"),
        (59, 100, "3"),
        (60, 100, "2"),
        (79, 100, "2"),
        (80, 100, "1"),
        (89, 100, "1"),
        (90, 100, "0.5"),
        (999, 1000, "0.5"),
        (100, 100, None),
        (0, 0, None),
    ],
)
def test_a26_tiers_at_each_boundary(num: int, den: int, points: str | None) -> None:
    log = Log()
    log.register(DEPT)
    log.finding(DEPT, "A2.6", "rate", "2019-08-05 10:00", numerator=num, denominator=den)
    assert items(unit_score(log, DEPT, "2019-08")).get("A2.6") == points


def test_b45_keeps_the_seeds_1_1_03_02() -> None:
    log = Log()
    log.register(DEPT)
    log.finding(DEPT, "B4.5", "rate", "2019-08-05 10:00", numerator=45, denominator=100)
    log.finding(DEPT, "B4.4", "rate", "2019-08-05 10:00", numerator=45, denominator=100)
    assert items(unit_score(log, DEPT, "2019-08")) == {"B4.4": "0.5", "B4.5": "1"}


def test_latest_rate_finding_before_t_counts() -> None:
    log = Log()
    log.register(DEPT)
    log.finding(DEPT, "A4.6", "rate", "2019-07-05 10:00", numerator=0, denominator=10)
    log.finding(DEPT, "A4.6", "rate", "2019-08-20 10:00", numerator=9, denominator=10)
    assert items(unit_score(log, DEPT, "2019-07")) == {"A4.6": "2"}
    assert items(unit_score(log, DEPT, "2019-08", as_of="2019-08-19 00:00")) == {"A4.6": "2"}
    assert items(unit_score(log, DEPT, "2019-08")) == {"A4.6": "0.2"}


def test_from_date_rate_a35() -> None:
    log = Log()
    log.register(DEPT)
    log.finding(DEPT, "A3.5", "rate", "2019-04-05 10:00", numerator=0, denominator=10)
    assert items(unit_score(log, DEPT, "2019-04")) == {}
    assert items(unit_score(log, DEPT, "2019-05")) == {"A3.5": "2"}


def test_first_batch_publication_and_mount_rates_from_july() -> None:
    log = Log()
    log.register(DEPT)
    codes = [code(DEPT, n) for n in range(1, 11)]
    log.requirement(DEPT, "fb-1", "first_batch_catalog", codes, "2019-08-31", when="2019-06-01 09:00")
    for c in codes[:6]:
        log.publish(DEPT, c, "2019-06-10 09:00")
    for c in codes[:3]:
        log.mount(DEPT, c, "2019-06-11 09:00")
    log.mount(DEPT, codes[3], "2019-07-20 09:00")
    assert items(unit_score(log, DEPT, "2019-06")) == {}  # from 2019-07-01
    # July: published 6/10 = 60% -> below 90: 2; mounted 4/10 -> below 60: 4
    assert items(unit_score(log, DEPT, "2019-07")) == {"B1.3": "2", "B1.4": "4"}
    # as of 2019-07-10: mounted 3/10 = 30% -> below 60: still 4; at 2/10 it would be 6
    assert items(unit_score(log, DEPT, "2019-07", as_of="2019-07-10 00:00"))["B1.4"] == "4"


def _claim(log: Log, types: list[str], stock: int | None, when: str) -> None:
    log.add("elicense.types-claimed", DEPT, when, license_types=types, declared_stock=stock)


def _push(log: Log, lid: str, ltype: str, when: str, mode: str = "stock", fmt: str | None = "pdf") -> None:
    log.add(
        "elicense.license-pushed",
        DEPT,
        when,
        license_id=lid,
        license_type=ltype,
        push_mode=mode,
        file_format=fmt,
        sealed=True,
    )


def test_license_rates_and_flags() -> None:
    log = Log()
    log.register(DEPT)
    _claim(log, ["T1", "T2", "T3", "T4"], None, "2019-05-10 09:00")
    _push(log, "L1", "T1", "2019-05-20 09:00")
    _push(log, "L2", "T1", "2019-05-20 09:00", fmt=None)
    _push(log, "L3", "T2", "2019-06-20 09:00", fmt=None)
    # May: B2.1 not judged before 2019-05-31 ends; B2.2 holds (no declared stock); B2.9 holds;
    # B2.4: 1 of 2 pushed with a file = 50% -> 3. B2.3: stock undeclared -> no rate.
    assert items(unit_score(log, DEPT, "2019-05")) == {"B2.2": "2", "B2.4": "3", "B2.9": "5"}
    _claim(log, ["T1", "T2", "T3", "T4"], 10, "2019-06-05 09:00")  # replaces the first claim
    # June: B2.1 types 2/4 -> below 60: 3; B2.2 held until 06-05 -> 2; B2.3 3/10 -> below 60: 3;
    # B2.4 1/3 -> below 60: 3; B2.9 5.
    assert items(unit_score(log, DEPT, "2019-06")) == {"B2.1": "3", "B2.2": "2", "B2.3": "3", "B2.4": "3", "B2.9": "5"}
    _push(log, "L4", "T3", "2019-07-02 09:00", mode="auto_incremental", fmt="ofd")
    # July: B2.2 clean; B2.9 held until 07-02 -> still 5 in July; clean in August.
    july = items(unit_score(log, DEPT, "2019-07"))
    assert july["B2.9"] == "5" and "B2.2" not in july
    assert "B2.9" not in items(unit_score(log, DEPT, "2019-08"))


def test_empty_claim_is_not_an_issuer() -> None:
    log = Log()
    log.register(DEPT)
    _claim(log, ["T1"], None, "2019-05-10 09:00")
    _claim(log, [], None, "2019-06-10 09:00")
    assert items(unit_score(log, DEPT, "2019-07")) == {}
