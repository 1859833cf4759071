"""Per-occurrence facts count in their event-time month (Asia/Shanghai)."""

from __future__ import annotations

from tests.scoring.builders import CITY, DEPT, DEPT2, OTHER_DEPT, Log, code, items, unit_score


def test_occurrences_count_in_their_month() -> None:
    log = Log()
    log.register(DEPT)
    log.finding(DEPT, "A1.3", "occurrence", "2019-08-05 10:00", count=3)
    log.finding(DEPT, "A1.3", "occurrence", "2019-07-31T16:30:00Z", count=1)  # August 00:30 Shanghai
    log.finding(DEPT, "A1.3", "occurrence", "2019-07-31T15:59:59Z", count=2)  # July 23:59:59
    assert items(unit_score(log, DEPT, "2019-07")) == {"A1.3": "1"}
    assert items(unit_score(log, DEPT, "2019-08")) == {"A1.3": "2"}


def test_start_date_and_deadline_day_gate_occurrences() -> None:
    log = Log()
    log.register(DEPT)
    log.finding(DEPT, "C3.4", "occurrence", "2019-08-09 23:00", count=1)  # before 2019-08-10: no
    log.finding(DEPT, "C3.4", "occurrence", "2019-08-10 00:00", count=1)  # from 2019-08-10: yes
    log.finding(DEPT, "A3.2", "occurrence", "2019-05-31 12:00", count=1)  # not after the deadline day
    log.finding(DEPT, "A3.2", "occurrence", "2019-06-01 08:00", count=1)
    assert items(unit_score(log, DEPT, "2019-08")) == {"C3.4": "0.5"}
    assert items(unit_score(log, DEPT, "2019-05")) == {}
    assert items(unit_score(log, DEPT, "2019-06")) == {"A3.2": "0.5"}


def test_attributed_finding_costs_the_provider_not_the_user() -> None:
    log = Log()
    log.register(DEPT)
    log.register(OTHER_DEPT)
    log.finding(DEPT, "C2.2", "occurrence", "2019-08-05 10:00", count=1, attributed_unit=OTHER_DEPT)
    log.finding(DEPT, "C2.2", "occurrence", "2019-08-06 10:00", count=1)  # the user's own fault
    log.finding(DEPT, "C3.2", "occurrence", "2019-08-06 10:00", count=2, attributed_unit=OTHER_DEPT)
    assert items(unit_score(log, DEPT, "2019-08")) == {"C2.2": "1"}
    assert items(unit_score(log, OTHER_DEPT, "2019-08")) == {"C2.2": "2", "C3.2": "2"}


def test_a53_direct_connection_costs_both_parties() -> None:
    log = Log()
    log.register(DEPT)
    log.register(DEPT2)
    log.finding(DEPT, "A5.3", "occurrence", "2019-08-05 10:00", count=2, attributed_unit=DEPT2)
    assert items(unit_score(log, DEPT, "2019-08")) == {"A5.3": "1"}
    assert items(unit_score(log, DEPT2, "2019-08")) == {"A5.3": "1"}


def _failed(log: Log, provider: str, resource: str, when: str, kind: str = "government") -> None:
    log.add(
        "exchange.call-failed",
        provider,
        when,
        call_id=f"c{len(log.events)}",
        resource_code=resource,
        consumer_unit=CITY,
        data_kind=kind,
        error="timeout",
    )


def test_b18_retry_storm_is_one_occurrence_per_resource_and_day() -> None:
    log = Log()
    log.register(DEPT)
    r1, r2 = code(DEPT, 1), code(DEPT, 2)
    for second in range(300):  # a retry storm on one day
        _failed(log, DEPT, r1, f"2019-08-05 10:{second // 60:02d}:{second % 60:02d}")
    _failed(log, DEPT, r1, "2019-08-05 23:59")  # same local day
    _failed(log, DEPT, r1, "2019-08-05T16:00:00Z")  # 2019-08-06 00:00 Shanghai: a new day
    _failed(log, DEPT, r2, "2019-08-05 11:00")
    _failed(log, DEPT, r2, "2019-08-07 11:00", kind="supervision")  # B4.12
    r = unit_score(log, DEPT, "2019-08")
    assert items(r) == {"B1.8": "6", "B4.12": "0.5"}
    assert str(r.x) == "93.50"


def test_b17_disputes_per_resource_per_month() -> None:
    log = Log()
    log.register(DEPT)
    for when in ("2019-08-05 10:00", "2019-08-09 10:00", "2019-09-01 10:00"):
        log.add(
            "exchange.dispute-upheld", DEPT, when, dispute_id=when, resource_code=code(DEPT, 1), data_kind="government"
        )
    assert items(unit_score(log, DEPT, "2019-08")) == {"B1.7": "2"}
    assert items(unit_score(log, DEPT, "2019-09")) == {"B1.7": "2"}


def test_c12_unsealed_use_costs_the_issuer_from_the_eseal_launch() -> None:
    log = Log()
    log.register(DEPT)
    log.register(OTHER_DEPT)
    for when in ("2019-06-30 23:00", "2019-07-01 00:00", "2019-07-15 10:00"):
        log.add(
            "elicense.license-used",
            DEPT,
            when,
            license_id="L",
            issuer_unit=OTHER_DEPT,
            sealed=False,
            waived_materials=0,
        )
    log.add(
        "elicense.license-used",
        DEPT,
        "2019-07-16 10:00",
        license_id="L",
        issuer_unit=OTHER_DEPT,
        sealed=True,
        waived_materials=0,
    )
    assert items(unit_score(log, OTHER_DEPT, "2019-06")) == {}
    assert items(unit_score(log, OTHER_DEPT, "2019-07")) == {"C1.2": "1"}
    assert items(unit_score(log, DEPT, "2019-07")) == {}


def test_b16_stale_resource_costs_once_per_month() -> None:
    log = Log()
    log.register(DEPT)
    daily, monthly, fresh = code(DEPT, 1), code(DEPT, 2), code(DEPT, 3)
    log.publish(DEPT, daily, "2019-07-01 09:00", cycle="daily")
    log.mount(DEPT, daily, "2019-07-01 10:00")
    log.update(DEPT, daily, "2019-07-31 23:00")  # stale 07-02 10:00 .. 07-31 23:00: July only
    for day in range(1, 32):  # then updated every day of August
        log.update(DEPT, daily, f"2019-08-{day:02d} 09:00")
    log.publish(DEPT, monthly, "2019-06-01 09:00", cycle="monthly")
    log.mount(DEPT, monthly, "2019-06-01 09:00")
    log.update(DEPT, monthly, "2019-07-01 09:00")  # exactly one month later: on time (not later than)
    log.update(DEPT, monthly, "2019-08-20 09:00")  # stale from 2019-08-01 09:00 to 08-20
    log.publish(DEPT, fresh, "2019-08-01 09:00", cycle="yearly")
    log.mount(DEPT, fresh, "2019-08-01 09:00")
    assert items(unit_score(log, DEPT, "2019-06")) == {}
    assert items(unit_score(log, DEPT, "2019-07")) == {"B1.6": "2"}  # the daily one
    assert items(unit_score(log, DEPT, "2019-08")) == {"B1.6": "2"}  # the monthly one
    assert items(unit_score(log, DEPT, "2019-09")) == {"B1.6": "4"}  # both stale again in September


def test_per_occurrence_findings_are_idempotent_on_event_id() -> None:
    log = Log()
    log.register(DEPT)
    f = log.finding(DEPT, "B3.2", "occurrence", "2019-08-05 10:00", count=2)
    log.events.append(dict(f))  # a duplicate delivery
    assert items(unit_score(log, DEPT, "2019-08")) == {"B3.2": "2"}
