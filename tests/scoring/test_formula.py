"""§1: caps, the M/N base, the Y gate at the published X, rounding, bands and lists."""

from __future__ import annotations

from pathlib import Path

import pytest
from scoring.domain.result import round_half_up
from scoring.domain.ruleset import load_ruleset

from tests.scoring.builders import CITY, COUNTY, DEPT, DEPT2, D, Log, code, items, score, unit_score

MINI = load_ruleset(Path(__file__).with_name("mini_ruleset.toml"))


def test_normalised_base_without_a1_and_b3() -> None:
    log = Log()
    log.register(DEPT, absent=["A1", "B3"])
    log.finding(DEPT, "C2.1", "holds", "2019-08-02 09:00")  # 4 points
    log.finding(DEPT, "A1.2", "holds", "2019-08-02 09:00")  # absent: no deduction
    log.finding(DEPT, "D1", "achieved", "2019-08-03 09:00")  # tied to absent A1: no bonus
    r = unit_score(log, DEPT, "2019-08")
    # M = 100 - 10 - 6 = 84; X = (84 - 4) * 100/84 = 95.238... -> 95.24
    assert (str(r.x), str(r.y), str(r.total)) == ("95.24", "0.00", "95.24")
    assert items(r) == {"C2.1": "4"}
    assert r.absent == ("A1", "B3")


def test_deductions_are_capped_per_indicator() -> None:
    log = Log()
    log.register(DEPT)
    log.finding(DEPT, "B4.11", "occurrence", "2019-08-05 10:00", count=50)  # 0.2 x 50 = 10 > B4's 9
    log.finding(DEPT, "B4.1", "rate", "2019-08-05 10:00", numerator=0, denominator=4)  # 1 more in B4
    log.finding(DEPT, "C1.1", "occurrence", "2019-08-06 10:00", count=1)  # C1: 1
    r = unit_score(log, DEPT, "2019-08")
    assert items(r) == {"B4.1": "1", "B4.11": "10", "C1.1": "1"}
    assert r.indicators == {"B4": D(9), "C1": D(1)}
    assert str(r.x) == "90.00"


def test_bonus_capped_per_indicator_and_gated_in() -> None:
    log = Log()
    log.register(DEPT)
    for n in range(4):  # E1.5: +2 each, at most 6
        log.finding(DEPT, "E1.5", "achieved", f"2019-08-0{n + 1} 10:00")
    for purpose in ("high_frequency", "business_environment"):  # E1.2 + E1.3 + E1.4
        log.add(
            "exchange.data-used",
            DEPT,
            "2019-08-09 10:00",
            resource_code=code(DEPT2, 1),
            consumer_unit=DEPT,
            purpose=purpose,
        )
    log.add(
        "elicense.license-used",
        DEPT,
        "2019-08-10 10:00",
        license_id="L1",
        issuer_unit=CITY,
        sealed=True,
        waived_materials=2,
    )  # E1.1
    r = unit_score(log, DEPT, "2019-08")
    assert items(r) == {"E1.1": "1", "E1.2": "1", "E1.3": "1", "E1.4": "1", "E1.5": "6"}
    assert r.indicators == {"E1": D(9)}  # 10 capped at E1's 9
    assert (str(r.x), str(r.y), str(r.total)) == ("100.00", "9.00", "109.00")


def _mini(deduct: list[str], bonus: bool = True) -> tuple[str, str, str, str, str, dict[str, str]]:
    log = Log()
    log.register(DEPT)
    for item in deduct:
        log.finding(DEPT, item, "holds", "2019-08-01 10:00")
    if bonus:
        log.finding(DEPT, "D1", "achieved", "2019-08-01 10:00")
    r = unit_score(log, DEPT, "2019-08", ruleset=MINI)
    return str(r.x), str(r.y), str(r.total), r.band, r.listing, items(r)


def test_gate_exactly_70_enters_y() -> None:
    assert _mini(["A1.1"]) == ("70.00", "5.00", "75.00", "medium", "none", {"A1.1": "30", "D1": "5"})


def test_gate_69_99_scores_no_y() -> None:
    # Y is not scored at all below the gate: the bonus item does not appear either.
    assert _mini(["A1.1", "A1.2"]) == ("69.99", "0.00", "69.99", "low", "none", {"A1.1": "30", "A1.2": "0.01"})


@pytest.mark.parametrize(
    ("deduct", "total", "band", "listing"),
    [
        (["A1.5", "A1.2"], "59.99", "low", "black"),
        (["A1.5"], "60.00", "low", "none"),
        (["A1.4", "A1.2"], "79.99", "medium", "none"),
        (["A1.4"], "80.00", "high", "red"),
        (["A1.3", "A1.2"], "89.99", "high", "red"),
        (["A1.3"], "90.00", "very-high", "red"),
    ],
)
def test_band_and_list_boundaries(deduct: list[str], total: str, band: str, listing: str) -> None:
    _, _, all_, got_band, got_list, _ = _mini(deduct, bonus=False)
    assert (all_, got_band, got_list) == (total, band, listing)


def test_band_on_all_including_y() -> None:
    # X = 80 (A1.4) + Y 5 = 85: high; X 60 + Y... below 70 no Y.
    assert _mini(["A1.4"])[2:5] == ("85.00", "high", "red")
    assert _mini(["A1.3"])[2:5] == ("95.00", "very-high", "red")


def test_round_half_up() -> None:
    assert str(round_half_up(D("95.235"))) == "95.24"
    assert str(round_half_up(D("95.2349999"))) == "95.23"
    assert str(round_half_up(D("0.005"))) == "0.01"


def test_counties_are_not_scored_and_only_registered_units_are() -> None:
    log = Log()
    log.register(DEPT)
    log.register(CITY, kind="city")
    log.register(COUNTY, kind="county", parent=CITY)
    r = score(log, "2019-08")
    assert [u.unit for u in r.units] == sorted([DEPT, CITY])


def test_result_records_ruleset_and_as_of_and_hash_is_stable() -> None:
    log = Log()
    log.register(DEPT)
    log.finding(DEPT, "A1.2", "holds", "2019-08-02 09:00")
    a, b = score(log, "2019-08"), score(list(reversed(log.events)), "2019-08")
    assert (a.ruleset_id, a.ruleset_version) == ("gx-2019", 1)
    assert a.canonical_json() == b.canonical_json()
    assert a.sha256() == b.sha256()
    assert b'"as_of":"2019-09-01T00:00:00+08:00"' in a.canonical_json()
    assert b'"x":"98.00"' in a.canonical_json()


def test_unit_result_records_month_as_of_and_ruleset() -> None:
    log = Log()
    log.register(DEPT)
    r = unit_score(log, DEPT, "2019-08", as_of="2019-08-15 12:00")
    assert (r.month, r.ruleset_id, r.ruleset_version) == ("2019-08", "gx-2019", 1)
    doc = r.canonical_json()
    assert b'"as_of":"2019-08-15T12:00:00+08:00"' in doc and b'"ruleset":"gx-2019"' in doc
    assert len(r.sha256()) == 64
    later = unit_score(log, DEPT, "2019-08", as_of="2019-12-01 00:00")  # clamped to the month end
    assert b'"as_of":"2019-09-01T00:00:00+08:00"' in later.canonical_json()
