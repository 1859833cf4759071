"""Bonuses (Y): achievements on time, earned from the month of the achievement on."""

from __future__ import annotations

import pytest

from tests.scoring.builders import DEPT, DEPT2, Log, code, items, unit_score


@pytest.mark.parametrize(
    ("entries", "points"),
    [(29, None), (30, "2"), (49, "2"), (50, "3"), (69, "3"), (70, "4"), (130, "7"), (150, "8"), (400, "8")],
)
def test_d51_size_steps(entries: int, points: str | None) -> None:
    log = Log()
    log.register(DEPT)
    codes = [code(DEPT, n) for n in range(1, entries + 1)]
    log.requirement(DEPT, "fb", "first_batch_catalog", codes, "2019-08-31", when="2019-06-01 09:00")
    for c in codes:
        log.publish(DEPT, c, "2019-06-02 09:00")
        log.mount(DEPT, c, "2019-08-20 09:00")
    assert items(unit_score(log, DEPT, "2019-07")).get("D5.1") is None  # not yet achieved
    assert items(unit_score(log, DEPT, "2019-08")).get("D5.1") == points
    assert items(unit_score(log, DEPT, "2019-10")).get("D5.1") == points  # stays earned


def test_d51_achieved_late_is_never_earned() -> None:
    log = Log()
    log.register(DEPT)
    codes = [code(DEPT, n) for n in range(1, 31)]
    log.requirement(DEPT, "fb", "first_batch_catalog", codes, "2019-08-31", when="2019-06-01 09:00")
    for c in codes:
        log.publish(DEPT, c, "2019-06-02 09:00")
        log.mount(DEPT, c, "2019-08-31T16:00:00Z")  # 2019-09-01 00:00 Shanghai: one instant late
    assert "D5.1" not in items(unit_score(log, DEPT, "2019-09"))


def test_d52_needs_ten_entries_by_june_end_and_d53_every_batch_on_time() -> None:
    log = Log()
    log.register(DEPT)
    be = [code(DEPT, n) for n in range(1, 11)]
    log.requirement(DEPT, "be", "business_environment", be, "2019-06-30")
    for c in be:
        log.mount(DEPT, c, "2019-06-15 09:00")
    log.requirement(DEPT, "hf-1", "high_frequency", [code(DEPT, 20)], "2019-07-10")
    log.mount(DEPT, code(DEPT, 20), "2019-07-09 09:00")
    log.requirement(DEPT, "hf-2", "high_frequency", [code(DEPT, 21)], "2019-08-10", when="2019-07-20 09:00")
    assert items(unit_score(log, DEPT, "2019-06")) == {"D5.2": "2"}
    assert items(unit_score(log, DEPT, "2019-07")) == {"D5.2": "2", "D5.3": "2"}  # hf-2 not yet due
    aug = items(unit_score(log, DEPT, "2019-08"))  # hf-2 missed its deadline: D5.3 lost, B1.2 costs
    assert "D5.3" not in aug and aug["B1.2"] == "11"


def test_d52_with_nine_entries_earns_nothing() -> None:
    log = Log()
    log.register(DEPT)
    be = [code(DEPT, n) for n in range(1, 10)]
    log.requirement(DEPT, "be", "business_environment", be, "2019-06-30")
    for c in be:
        log.mount(DEPT, c, "2019-06-15 09:00")
    assert items(unit_score(log, DEPT, "2019-07")) == {}


@pytest.mark.parametrize(
    ("item", "when", "size", "points"),
    [
        ("D3", "2019-07-20 10:00", 30, "5"),
        ("D3", "2019-07-20 10:00", 29, "1"),
        ("D3", "2019-08-01 00:00", 30, None),
        ("D8", "2019-08-01 10:00", 6, "2"),
        ("D8", "2019-08-01 10:00", 4, "1"),
        ("D8", "2019-08-01 10:00", 3, None),
        ("D1", "2019-08-01 10:00", None, "5"),
        ("D6.1", "2019-08-01 10:00", None, "4"),
        ("E2.3", "2019-08-01 10:00", None, "1"),
    ],
)
def test_achievement_findings(item: str, when: str, size: int | None, points: str | None) -> None:
    log = Log()
    log.register(DEPT)
    log.finding(DEPT, item, "achieved", when, size=size)
    assert items(unit_score(log, DEPT, "2019-08")).get(item) == points


def test_first_achievement_counts() -> None:
    log = Log()
    log.register(DEPT)
    log.finding(DEPT, "D4", "achieved", "2019-09-02 10:00")  # late
    log.finding(DEPT, "D4", "achieved", "2019-08-02 10:00")  # on time, recorded out of order
    assert items(unit_score(log, DEPT, "2019-07")) == {}
    assert items(unit_score(log, DEPT, "2019-09")) == {"D4": "3"}


def test_d62_stock_aggregated_by_june_end() -> None:
    log = Log()
    log.register(DEPT)
    log.add("elicense.types-claimed", DEPT, "2019-05-01 09:00", license_types=["T1"], declared_stock=3)
    for n, day in enumerate(("05", "10", "20")):
        log.add(
            "elicense.license-pushed",
            DEPT,
            f"2019-06-{day} 09:00",
            license_id=f"L{n}",
            license_type="T1",
            push_mode="stock",
            file_format="ofd",
            sealed=True,
        )
    log.add(
        "elicense.license-pushed",
        DEPT,
        "2019-05-02 09:00",
        license_id="L9",
        license_type="T1",
        push_mode="auto_incremental",
        file_format="ofd",
        sealed=True,
    )
    assert items(unit_score(log, DEPT, "2019-06", as_of="2019-06-15 00:00")).get("D6.2") is None
    assert items(unit_score(log, DEPT, "2019-06")) == {"D6.2": "1"}  # fewer than 5,000,000
    assert items(unit_score(log, DEPT, "2019-11")) == {"D6.2": "1"}


def test_e1_first_qualifying_events() -> None:
    log = Log()
    log.register(DEPT)
    log.add(
        "exchange.data-used",
        DEPT,
        "2019-08-09 10:00",
        resource_code=code(DEPT2, 1),
        consumer_unit=DEPT,
        purpose="general",
    )
    log.add(
        "elicense.license-used",
        DEPT,
        "2019-08-10 10:00",
        license_id="L1",
        issuer_unit=DEPT,
        sealed=True,
        waived_materials=0,
    )  # no waiver: no E1.1
    assert items(unit_score(log, DEPT, "2019-07")) == {}
    assert items(unit_score(log, DEPT, "2019-08")) == {"E1.2": "1"}
    assert items(unit_score(log, DEPT, "2019-12")) == {"E1.2": "1"}
