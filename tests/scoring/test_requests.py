"""B1.9 / B4.13: working-day deadlines from forwarding, PRC holidays and make-up days included."""

from __future__ import annotations

from tests.scoring.builders import DEPT, Log, items, request, unit_score

NATIONAL_DAY_FRIDAY = "2019-09-27 10:00"  # 3 working days: Sun 09-29 (调休), Mon 09-30, Tue 10-08


def _log(kind: str, decision: tuple[str, str, str] | None, forwarded: str = NATIONAL_DAY_FRIDAY) -> Log:
    log = Log()
    log.register(DEPT)
    request(log, DEPT, "q1", kind, forwarded, decision)
    return log


def test_decided_on_the_last_working_day_is_on_time() -> None:
    log = _log("government", ("approved", "2019-10-08 23:59", ""))
    assert items(unit_score(log, DEPT, "2019-09")) == {}
    assert items(unit_score(log, DEPT, "2019-10")) == {}


def test_decided_after_tuesday_24_00_is_late_at_the_deadline() -> None:
    log = _log("government", ("approved", "2019-10-09 00:00:01", ""))
    assert items(unit_score(log, DEPT, "2019-10")) == {"B1.9": "2"}
    assert items(unit_score(log, DEPT, "2019-09")) == {}


def test_undecided_becomes_late_when_the_deadline_passes() -> None:
    log = _log("government", None)
    assert items(unit_score(log, DEPT, "2019-10", as_of="2019-10-08 23:59")) == {}
    assert items(unit_score(log, DEPT, "2019-10", as_of="2019-10-09 00:00")) == {"B1.9": "2"}
    assert items(unit_score(log, DEPT, "2019-11")) == {}  # counted once, in its month


def test_refusal_without_reason_counts_at_the_refusal() -> None:
    log = _log("government", ("rejected", "2019-09-30 10:00", "   "))
    assert items(unit_score(log, DEPT, "2019-09")) == {"B1.9": "2"}
    assert items(unit_score(log, DEPT, "2019-10")) == {}


def test_refusal_with_reason_in_time_is_fine() -> None:
    assert items(unit_score(_log("government", ("rejected", "2019-09-30 10:00", "涉密")), DEPT, "2019-10")) == {}


def test_late_refusal_without_reason_counts_once_at_the_deadline() -> None:
    log = _log("government", ("rejected", "2019-10-12 10:00", ""))
    assert items(unit_score(log, DEPT, "2019-10")) == {"B1.9": "2"}


def test_only_the_first_decision_counts() -> None:
    log = _log("government", ("approved", "2019-09-30 10:00", ""))
    log.add(
        "exchange.request-rejected",
        DEPT,
        "2019-10-20 10:00",
        request_id="q1",
        data_kind="government",
        forwarded_at="2019-09-27T10:00:00+08:00",
        reason="",
    )
    assert items(unit_score(log, DEPT, "2019-10")) == {}


def test_supervision_requests_have_five_working_days() -> None:
    # Sun 09-29, Mon 09-30, Tue 10-08, Wed 10-09, Thu 10-10 -> late after 10-10 24:00
    assert items(unit_score(_log("supervision", ("approved", "2019-10-10 20:00", "")), DEPT, "2019-10")) == {}
    late = _log("supervision", ("approved", "2019-10-11 09:00", ""))
    assert items(unit_score(late, DEPT, "2019-10")) == {"B4.13": "0.5"}
