"""§5 deadline batches B1.1, B1.2, B1.5."""

from __future__ import annotations

from tests.scoring.builders import DEPT, Log, code, items, unit_score


def _b11_log() -> Log:
    log = Log()
    log.register(DEPT)
    c1, c2, c3 = (code(DEPT, n) for n in (1, 2, 3))
    log.requirement(DEPT, "be-1", "business_environment", [c1, c2, c3], "2019-06-30")
    log.mount(DEPT, c1, "2019-06-20 09:00")
    log.mount(DEPT, c2, "2019-07-10 09:00")
    log.mount(DEPT, c3, "2019-08-15 09:00")
    return log


def test_b11_before_the_deadline_nothing() -> None:
    log = _b11_log()
    assert items(unit_score(log, DEPT, "2019-06")) == {}  # T = 2019-07-01 00:00 = E: not later than E
    assert items(unit_score(log, DEPT, "2019-06", as_of="2019-06-30 23:59")) == {}


def test_b11_after_the_deadline_base_plus_missing() -> None:
    log = _b11_log()
    assert items(unit_score(log, DEPT, "2019-07", as_of="2019-07-05 00:00")) == {"B1.1": "12"}  # 2 missing
    assert items(unit_score(log, DEPT, "2019-07", as_of="2019-07-31 23:59")) == {"B1.1": "11"}  # 1 missing


def test_b11_sixteen_from_one_month_overdue() -> None:
    # E = 2019-07-01 00:00; E + 1 calendar month = 2019-08-01 00:00 = the close of July.
    assert items(unit_score(_b11_log(), DEPT, "2019-07")) == {"B1.1": "16"}


def test_b11_completed_late_costs_base_through_the_completion_month() -> None:
    log = _b11_log()
    assert items(unit_score(log, DEPT, "2019-08")) == {"B1.1": "10"}  # completed 08-15
    assert items(unit_score(log, DEPT, "2019-08", as_of="2019-08-10 00:00")) == {"B1.1": "16"}
    assert items(unit_score(log, DEPT, "2019-09")) == {}


def test_b12_batches_add_up_before_the_cap() -> None:
    log = Log()
    log.register(DEPT)
    log.requirement(DEPT, "hf-1", "high_frequency", [code(DEPT, 1), code(DEPT, 2)], "2019-07-10")
    log.requirement(DEPT, "hf-2", "high_frequency", [code(DEPT, 3)], "2019-07-20")
    log.requirement(DEPT, "hf-3", "high_frequency", [code(DEPT, 4)], "2019-07-20")
    log.mount(DEPT, code(DEPT, 4), "2019-07-19 09:00")  # hf-3 on time
    log.mount(DEPT, code(DEPT, 3), "2019-07-25 09:00")  # hf-2 late, completed in July
    r = unit_score(log, DEPT, "2019-07")
    assert items(r) == {"B1.2": "22"}  # (10 + 2) + 10
    assert r.indicators == {"B1": 18}
    assert str(r.x) == "82.00"
    assert items(unit_score(log, DEPT, "2019-08")) == {"B1.2": "12"}  # no 16 for B1.2


def test_b15_theme_only_from_july() -> None:
    log = Log()
    log.register(DEPT)
    log.requirement(DEPT, "th-1", "theme", [code(DEPT, 1)], "2019-06-10")
    assert items(unit_score(log, DEPT, "2019-06")) == {}
    assert items(unit_score(log, DEPT, "2019-07")) == {"B1.5": "6"}


def test_batch_causes_name_the_requirement() -> None:
    log = Log()
    log.register(DEPT)
    req = log.requirement(DEPT, "th-1", "theme", [code(DEPT, 1)], "2019-07-10")
    r = unit_score(log, DEPT, "2019-07")
    assert list(r.causes["B1.5"]) == [req["id"]]
