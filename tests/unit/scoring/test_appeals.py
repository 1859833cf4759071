"""Appeals (#16) on an in-memory unit of work: the unit (or the unit a finding is attributed to) appeals
within the working-day window, once; the bureau decides once; upheld, the finding is withdrawn with it."""

from __future__ import annotations

from datetime import datetime

import pytest
from hubkit.auth import Principal, Role
from hubkit.problems import Problem
from scoring.domain.clock import SHANGHAI
from scoring.domain.ruleset import builtin_ruleset
from scoring.service import appeals, handlers
from scoring.service import commands as c

from tests.scoring.builders import CITY, DEPT, OTHER_DEPT, Log, store_of

from .fakes import FakeLive, FakeScoringUnitOfWork

RULESET = builtin_ruleset()
INSPECTOR = Principal("inspector:li", Role.inspector)
OPERATOR = Principal("operator:hub", Role.operator)
FOUND = datetime(2019, 9, 27, 15, tzinfo=SHANGHAI)  # a Friday before the National Day holidays


def dept(unit: str) -> Principal:
    return Principal(f"department:{unit}", Role.department, unit)


async def recorded() -> FakeScoringUnitOfWork:
    log = Log()
    for unit in (DEPT, OTHER_DEPT):
        log.register(unit)
    log.register(CITY, kind="city")
    uow = FakeScoringUnitOfWork()
    await handlers.record_finding(
        c.RecordFinding(actor=INSPECTOR, finding_id="f-1", unit=DEPT, item="C2.2", effect="occurrence", count=1,
                        numerator=None, denominator=None, size=None, attributed_unit=CITY, note="", at=FOUND),
        uow, RULESET, FakeLive(store_of(log), RULESET, None))
    return uow


def appeal(who: Principal, at: datetime, finding_id: str = "f-1") -> c.Appeal:
    return c.Appeal(actor=who, finding_id=finding_id, reason="接口当日已恢复，有日志为证", file_name=None, file=None,
                    at=at)


async def test_the_window_is_working_days_after_the_finding() -> None:
    """Five working days from Friday 27 September 2019: Sunday 29 (a make-up working day), 30 September,
    then 8–10 October (1–7 are the National Day holidays)."""
    uow = await recorded()
    with pytest.raises(Problem) as late:
        await appeals.lodge(appeal(dept(DEPT), datetime(2019, 10, 11, 0, 0, tzinfo=SHANGHAI)), uow, 5)
    assert late.value.status == 422 and "closed at 2019-10-10 24:00" in late.value.detail
    row = await appeals.lodge(appeal(dept(DEPT), datetime(2019, 10, 10, 23, 0, tzinfo=SHANGHAI)), uow, 5)
    assert row.status == "lodged" and row.unit == DEPT
    assert uow.committed_events[-1].type == "scoring.appeal-lodged"


@pytest.mark.parametrize("who, status", [(dept(OTHER_DEPT), 403), (INSPECTOR, 403)])
async def test_only_the_units_the_finding_costs_appeal_it(who: Principal, status: int) -> None:
    uow = await recorded()
    with pytest.raises(Problem) as refused:
        await appeals.lodge(appeal(who, FOUND), uow, 5)
    assert refused.value.status == status and not uow.rows.appeals


async def test_an_appeal_upheld_withdraws_the_finding_once() -> None:
    uow = await recorded()
    lodged = await appeals.lodge(appeal(dept(CITY), FOUND), uow, 5)  # the attributed unit may appeal
    with pytest.raises(Problem) as twice:
        await appeals.lodge(appeal(dept(DEPT), FOUND), uow, 5)
    assert twice.value.status == 409
    decided_at = datetime(2019, 10, 9, 10, tzinfo=SHANGHAI)
    decided = await appeals.decide(c.DecideAppeal(actor=OPERATOR, appeal_id=lodged.appeal_id, upheld=True,
                                                  reason="日志证实接口正常", at=decided_at), uow)
    assert decided.status == "upheld"
    types = [e.type for e in uow.committed_events[-2:]]
    assert types == ["scoring.appeal-decided", "scoring.finding-retracted"]
    withdrawn = uow.committed_events[-1]
    assert withdrawn.unit == DEPT and withdrawn.data.reason == "申诉成立：日志证实接口正常"
    assert withdrawn.data.attributed_unit == CITY and uow.rows.findings["f-1"]["retracted_at"] == decided_at
    with pytest.raises(Problem) as again:
        await appeals.decide(c.DecideAppeal(actor=OPERATOR, appeal_id=lodged.appeal_id, upheld=False, reason="x",
                                            at=decided_at), uow)
    assert again.value.status == 409


async def test_a_rejected_appeal_leaves_the_finding_and_a_withdrawn_one_cannot_be_appealed() -> None:
    uow = await recorded()
    lodged = await appeals.lodge(appeal(dept(DEPT), FOUND), uow, 5)
    await appeals.decide(c.DecideAppeal(actor=OPERATOR, appeal_id=lodged.appeal_id, upheld=False,
                                        reason="日志不足以证明", at=FOUND), uow)
    assert uow.committed_events[-1].type == "scoring.appeal-decided" and "retracted_at" not in uow.rows.findings["f-1"]
    await handlers.retract_finding(c.RetractFinding(actor=INSPECTOR, finding_id="f-1", reason="复核撤销", at=FOUND),
                                   uow)
    uow.rows.appeals.clear()
    with pytest.raises(Problem) as withdrawn:
        await appeals.lodge(appeal(dept(DEPT), FOUND), uow, 5)
    assert withdrawn.value.status == 409


async def test_a_month_close_names_the_appeals_open_against_what_each_result_counts() -> None:
    """C2.2 attributed to the city: the city's September result counts the finding, the department's does
    not; the appeal is open at the close, so the city's frozen result says it is under appeal."""
    import json

    from contracts.fastdecode import decode
    from scoring.domain.facts import FactStore

    uow = await recorded()
    lodged = await appeals.lodge(appeal(dept(CITY), FOUND), uow, 5)
    log = Log()
    for unit in (DEPT, OTHER_DEPT):
        log.register(unit)
    log.register(CITY, kind="city")
    store = FactStore()
    for env in [*(json.dumps(e) for e in log.events), uow.committed_events[0].model_dump_json()]:
        store.apply(decode(env))
    live = FakeLive(store, RULESET, watermark=int(datetime(2019, 10, 2, tzinfo=SHANGHAI).timestamp() * 1e6))
    close = c.CloseMonth(actor=OPERATOR, month="2019-09", bureau_unit=CITY, at=datetime(2019, 10, 2,
                                                                                            tzinfo=SHANGHAI))
    await handlers.close_month(close, uow, live)
    assert uow.rows.under_appeal["2019-09"] == {CITY: [lodged.appeal_id]}
    closed = uow.committed_events[-1]
    marks = {r.unit: r.under_appeal for r in closed.data.results}  # type: ignore[attr-defined]
    assert marks[CITY] == [lodged.appeal_id] and marks[DEPT] == [] and marks[OTHER_DEPT] == []
