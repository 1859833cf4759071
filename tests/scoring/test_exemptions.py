"""Units not checked (#16, seed 000: 标注红色的单位不列入检查和考核): a unit exempt from a day is not scored or
ranked in that day's month and after, live and in an auditor's replay; an exemption registered later
withdraws the results the live projection had published for those months."""

from __future__ import annotations

import io

import pytest
from contracts.fastdecode import decode
from contracts.registry_events import UnitRegistered
from scoring.domain.engine import NotScored, evaluate
from scoring.domain.projection import Projection
from scoring.domain.ruleset import builtin_ruleset
from scoring.replay import numbered_lines, replay

from tests.scoring.builders import CITY, DEPT, OTHER_DEPT, Log, store_of, unit_score

BASIS = "桂数函〔2019〕258号附件1标注红色"


def base() -> Log:
    log = Log()
    for unit in (DEPT, OTHER_DEPT):
        log.register(unit)
    log.register(CITY, kind="city")
    return log


def exempt(log: Log, unit: str, day: str, when: str) -> None:
    event = log.register(unit, when=when)
    event["data"].update(exempt_from=day, exempt_basis=BASIS)


def test_an_exemption_names_its_day_and_document_together_and_never_a_county() -> None:
    common = {"name": "x", "kind": "department", "division_code": "450000"}
    with pytest.raises(ValueError, match="exempt_basis"):
        UnitRegistered(**common, exempt_from="2019-08-01")
    with pytest.raises(ValueError, match="a county is not checked anyway"):
        UnitRegistered(name="x", kind="county", division_code="450102", parent_unit=CITY,
                       exempt_from="2019-08-01", exempt_basis=BASIS)
    assert UnitRegistered(**common, exempt_from="2019-08-01", exempt_basis=BASIS).exempt_basis == BASIS


def test_an_exempt_unit_is_scored_before_its_month_and_not_from_it() -> None:
    log = base()
    log.finding(DEPT, "A4.1", "holds", "2019-07-02 09:00")
    exempt(log, DEPT, "2019-08-10", "2019-08-12 09:00")
    store = store_of(log)
    ruleset = builtin_ruleset()
    july = evaluate(ruleset, store.directory, store, "2019-07", 1_600_000_000_000_000)
    august = evaluate(ruleset, store.directory, store, "2019-08", 1_600_000_000_000_000)
    assert DEPT in {u.unit for u in july.units}
    assert {u.unit for u in august.units} == {OTHER_DEPT, CITY}
    with pytest.raises(NotScored, match="checked in 2019-08"):
        unit_score(log, DEPT, "2019-08")
    assert store.directory.exempt_units("2019-09") == [DEPT] and store.directory.exempt_units("2019-07") == []


def test_a_later_exemption_withdraws_what_the_live_projection_published_and_replay_agrees() -> None:
    log = base()
    log.finding(DEPT, "A4.1", "holds", "2019-07-02 09:00")
    log.finding(OTHER_DEPT, "A4.1", "holds", "2019-08-20 09:00")  # the watermark is in August
    projection = Projection(builtin_ruleset())
    projection.refresh(projection.fold([decode(line) for line in log.lines()]), projection.months_to_sweep(None))
    assert {(DEPT, "2019-07"), (DEPT, "2019-08")} <= set(projection.published)
    assert projection.take_removed() == set()
    exempt(log, DEPT, "2019-07-15", "2019-08-25 09:00")  # registered in August, exempt from July on
    before = projection.watermark
    projection.refresh(projection.fold([decode(log.lines()[-1])]), projection.months_to_sweep(before))
    assert projection.take_removed() == {(DEPT, "2019-07"), (DEPT, "2019-08")}
    assert {m for u, m in projection.published if u == DEPT} == {f"2019-0{m}" for m in range(1, 7)}  # before July
    assert projection.take_removed() == set()  # taken once
    lines = io.BytesIO(b"\n".join(log.lines()) + b"\n")
    replayed = replay(numbered_lines(lines), builtin_ruleset(), "2019-07").result
    assert {u.unit for u in replayed.units} == {OTHER_DEPT, CITY}
