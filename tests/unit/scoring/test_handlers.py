"""The scoring service's API writes on an in-memory unit of work: findings checked against the rule
table and the unit, recorded once; a month closed once, only after it ended in event time."""

from __future__ import annotations

from datetime import datetime

import pytest
from hubkit.auth import Principal, Role
from hubkit.problems import Problem
from scoring.domain.clock import SHANGHAI, month_bounds, to_instant
from scoring.domain.ruleset import builtin_ruleset
from scoring.service import commands as c
from scoring.service import handlers

from tests.scoring.builders import CITY, DEPT, Log, store_of

from .fakes import FakeLive, FakeScoringUnitOfWork

RULESET = builtin_ruleset()
INSPECTOR = Principal("inspector:li", Role.inspector)
OPERATOR = Principal("operator:hub", Role.operator)
AT = datetime(2019, 8, 10, 9, tzinfo=SHANGHAI)


def live(watermark: datetime | None) -> FakeLive:
    log = Log()
    log.register(DEPT)
    log.register(CITY, kind="city")
    return FakeLive(store_of(log), RULESET, to_instant(watermark) if watermark else None)


def finding(finding_id: str = "f-1", unit: str = DEPT, item: str = "A1.2", effect: str = "holds") -> c.RecordFinding:
    return c.RecordFinding(actor=INSPECTOR, finding_id=finding_id, unit=unit, item=item, effect=effect, count=None,
                           numerator=None, denominator=None, size=None, attributed_unit=None, note="", at=AT)


async def test_a_finding_is_said_once_and_a_wrong_one_not_at_all() -> None:
    uow, view = FakeScoringUnitOfWork(), live(AT)
    event = await handlers.record_finding(finding(), uow, RULESET, view)
    assert [e.type for e in uow.committed_events] == ["scoring.finding-recorded"]
    assert event.unit == DEPT and event.occurred_at == AT and event.data.inspector == "inspector:li"
    with pytest.raises(Problem) as again:
        await handlers.record_finding(finding(), uow, RULESET, view)
    assert again.value.status == 409
    for wrong in (finding("f-2", item="Z9.9"), finding("f-3", effect="rate")):
        with pytest.raises(Problem) as rejected:
            await handlers.record_finding(wrong, uow, RULESET, view)
        assert rejected.value.kind == "finding-rejected", wrong
    assert len(uow.committed_events) == 1 and list(uow.rows.findings) == ["f-1"]


async def test_a_month_closes_once_and_only_after_it_ended_in_event_time() -> None:
    uow = FakeScoringUnitOfWork()
    close = c.CloseMonth(actor=OPERATOR, month="2019-08", bureau_unit=CITY, at=AT)
    with pytest.raises(Problem) as early:
        await handlers.close_month(close, uow, live(AT))
    assert early.value.kind == "month-not-ended" and not uow.rows.closed
    _, end = month_bounds("2019-08")
    ended = live(datetime(2019, 9, 1, 0, 0, 1, tzinfo=SHANGHAI))
    assert to_instant(datetime(2019, 9, 1, tzinfo=SHANGHAI)) == end
    for behind, words in ((7, "is 7 events behind the broker"), (None, "is not reading the broker yet")):
        ended.behind = behind  # a backlog being read: a partition not read yet may hold August's facts
        with pytest.raises(Problem) as reading:
            await handlers.close_month(close, uow, ended)
        assert reading.value.kind == "projection-behind" and words in reading.value.detail and not uow.rows.closed
    ended.behind, ended.busy = 0, True  # caught up, but not held still at a committed position in time
    with pytest.raises(Problem) as busy:
        await handlers.close_month(close, uow, ended)
    assert busy.value.kind == "projection-busy" and busy.value.status == 409 and not uow.rows.closed
    ended.busy = False
    done = await handlers.close_month(close, uow, ended)
    assert done["units"] == 2 and done["last_position"] == 42
    [event] = uow.committed_events
    assert event.type == "scoring.month-closed" and event.unit == CITY
    assert {r.unit for r in event.data.results} == {DEPT, CITY}  # type: ignore[attr-defined]
    with pytest.raises(Problem) as twice:
        await handlers.close_month(close, uow, ended)
    assert twice.value.status == 409 and len(uow.committed_events) == 1


async def test_webhooks_are_their_units_own_and_a_console_code_works_once() -> None:
    uow = FakeScoringUnitOfWork()
    dept = Principal(f"department:{DEPT}", Role.department, unit=DEPT)

    async def allow(url: str) -> None:
        return None

    with pytest.raises(Problem) as foreign:
        await handlers.set_webhook(c.SetWebhook(actor=dept, unit=CITY, url="https://x.example", secret="s"), uow,
                                   allow)
    assert foreign.value.status == 403 and not uow.rows.webhooks
    hook = await handlers.set_webhook(c.SetWebhook(actor=dept, unit=DEPT, url="https://x.example", secret="s"),
                                      uow, allow)
    await handlers.stop_webhook(c.StopWebhook(actor=dept, unit=DEPT, webhook_id=hook), uow)
    with pytest.raises(Problem) as gone:
        await handlers.stop_webhook(c.StopWebhook(actor=dept, unit=DEPT, webhook_id=hook), uow)
    assert gone.value.status == 404
    assert [await handlers.use_console_code("jti-1", uow) for _ in range(2)] == [True, False]


async def test_a_finding_is_withdrawn_once_with_a_reason_and_its_event_says_what_it_moved() -> None:
    uow, view = FakeScoringUnitOfWork(), live(AT)
    attributed = c.RecordFinding(actor=INSPECTOR, finding_id="f-9", unit=DEPT, item="C2.2", effect="occurrence",
                                 count=2, numerator=None, denominator=None, size=None, attributed_unit=CITY,
                                 note="接口不可用", at=AT)
    await handlers.record_finding(attributed, uow, RULESET, view)
    later = datetime(2019, 9, 3, 10, tzinfo=SHANGHAI)
    with pytest.raises(Problem) as no_reason:
        await handlers.retract_finding(c.RetractFinding(actor=INSPECTOR, finding_id="f-9", reason=" ", at=later), uow)
    assert no_reason.value.status == 422
    with pytest.raises(Problem) as unknown:
        await handlers.retract_finding(c.RetractFinding(actor=INSPECTOR, finding_id="f-0", reason="x", at=later), uow)
    assert unknown.value.status == 404
    row = await handlers.retract_finding(c.RetractFinding(actor=OPERATOR, finding_id="f-9", reason="申诉成立",
                                                          at=later), uow)
    assert row.retracted_by == "operator:hub" and row.retract_reason == "申诉成立"
    event = uow.committed_events[-1]
    assert event.type == "scoring.finding-retracted" and event.unit == DEPT and event.occurred_at == later
    assert (event.data.item, event.data.attributed_unit, event.data.finding_occurred_at) == ("C2.2", CITY, AT)
    with pytest.raises(Problem) as again:
        await handlers.retract_finding(c.RetractFinding(actor=INSPECTOR, finding_id="f-9", reason="x", at=later), uow)
    assert again.value.status == 409
