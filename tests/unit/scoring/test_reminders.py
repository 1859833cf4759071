"""Reminders before submission deadlines (#16): when (working days back from the deadline, PRC calendar with
its make-up days), to whom (nothing valid in yet), once, and in words through the alert channels."""

from __future__ import annotations

from datetime import date, datetime

from scoring.domain.alert_text import render_reminder
from scoring.domain.clock import SHANGHAI, to_instant
from scoring.domain.reminders import remind_day, reminders_due
from scoring.domain.ruleset import RULESETS_DIR, builtin_ruleset
from scoring.domain.submissions import Submitted, builtin_requirements
from scoring.service import reminders
from scoring.service.ports import SubmissionRow

from tests.scoring.builders import CITY, DEPT, DEPT2, Log, store_of

from .fakes import FakeLive, FakeScoringUnitOfWork

RULESET = builtin_ruleset()
REQUIREMENTS = builtin_requirements(RULESET, RULESETS_DIR)
SURVEY = REQUIREMENTS.of_kind("private-network-survey")  # A1.1, once, by 2019-06-30 (a Sunday)
DOCKING = REQUIREMENTS.of_kind("network-docking-progress")  # A1.3, monthly by the 5th
assert SURVEY is not None and DOCKING is not None


def t(text: str) -> int:
    return to_instant(datetime.fromisoformat(text).replace(tzinfo=SHANGHAI))


def test_the_remind_day_counts_working_days_back_from_the_deadline_day() -> None:
    assert remind_day(SURVEY, "once", 3) == date(2019, 6, 26)  # Sun 30 June: Fri 28, Thu 27, Wed 26
    assert remind_day(DOCKING, "2019-08", 3) == date(2019, 8, 1)  # Mon 5, Fri 2, Thu 1
    # 5 October 2019 is in the National Day holiday; Sunday 29 September was a make-up working day
    assert remind_day(DOCKING, "2019-10", 3) == date(2019, 9, 27)  # Mon 30, Sun 29 (调休), Fri 27
    assert remind_day(DOCKING, "2019-10", 1) == date(2019, 9, 30)


def test_a_unit_is_reminded_while_nothing_valid_is_in_and_never_after_the_deadline() -> None:
    registered = t("2019-01-01T00:00:00")

    def due(now: str, subs: list[Submitted] = (), reg: int = registered) -> list[tuple[str, str, int]]:  # type: ignore[assignment]
        return [(r.period, datetime.fromtimestamp(r.at / 1e6, SHANGHAI).isoformat(), r.working_days_left)
                for r in reminders_due(DEPT, SURVEY, list(subs), t(now), reg, 3)]

    assert due("2019-06-25T23:59:59") == []
    assert due("2019-06-27T10:00:00") == [("once", "2019-06-26T00:00:00+08:00", 3)]
    assert due("2019-07-01T00:00:00") == []  # the deadline has passed: the miss is the finding's business
    received = Submitted("s1", "once", t("2019-06-20T10:00:00"))
    assert due("2019-06-27T10:00:00", [received]) == []
    returned = Submitted("s1", "once", t("2019-06-20T10:00:00"), returned_at=t("2019-06-27T09:00:00"))
    assert due("2019-06-27T10:00:00", [returned]) == [("once", "2019-06-26T00:00:00+08:00", 3)]
    late_unit = t("2019-06-28T08:00:00")  # registered after the remind day: reminded from its registration
    assert due("2019-06-28T09:00:00", reg=late_unit) == [("once", "2019-06-28T08:00:00+08:00", 1)]
    # monthly: next month's report early on, stopped by an accepted report saying the work is complete
    monthly = [(r.period, r.working_days_left) for r in reminders_due(DEPT, DOCKING, [], t("2019-07-31T12:00:00"),
                                                                        registered, 5)]
    assert monthly == [("2019-08", 5)]  # 31 July, 1, 2, 5 August... counted from the remind day 29 July
    complete = Submitted("s2", "2019-07", t("2019-07-03T10:00:00"), accepted_at=t("2019-07-04T10:00:00"),
                         completed=True)
    assert reminders_due(DEPT, DOCKING, [complete], t("2019-08-01T12:00:00"), registered, 3) == []


async def test_the_sweep_reminds_each_unit_once_through_its_alerts() -> None:
    log = Log()
    for unit in (DEPT, DEPT2):
        log.register(unit)
    log.register(CITY, kind="city")
    uow = FakeScoringUnitOfWork()
    live = FakeLive(store_of(log), RULESET, None)
    now = t("2019-08-01T09:00:00")
    sent = await reminders.send_reminders(now, uow, REQUIREMENTS, RULESET, live, 3)
    assert sent > 0 and await reminders.send_reminders(now, uow, REQUIREMENTS, RULESET, live, 3) == 0
    assert await reminders.send_reminders(now, FakeScoringUnitOfWork(), REQUIREMENTS, RULESET, live, 0) == 0
    events = [e for e in uow.committed_events if e.type == "scoring.deadline-reminded"]
    docking = {e.unit for e in events if e.data.kind == "network-docking-progress" and e.data.period == "2019-08"}
    assert docking == {DEPT, DEPT2, CITY}
    alert = uow.rows.reminders[f"remind:{DEPT}:network-docking-progress:2019-08"]
    assert alert["payload"]["alert"] == "reminder" and alert["item"] == "A1.3" and alert["month"] == "2019-08"
    words = render_reminder(alert["payload"], "没有按计划开展网络对接")
    assert words["title"].startswith("【报送提醒】2019-08 业务专网与电子政务外网网络对接进度")
    assert "2019-08-05 24:00" in words["title"] and "还剩 3 个工作日" in words["text"] and "扣 0.5 分" in words["text"]


async def test_a_unit_not_checked_is_neither_reminded_nor_judged() -> None:
    """标注红色的单位不列入检查和考核: from its exemption's month, no reminders and no misses recorded."""
    from scoring.service import submissions

    log = Log()
    log.register(DEPT)
    exempt = log.register(DEPT2)
    exempt["data"].update(exempt_from="2019-07-15", exempt_basis="桂数函〔2019〕258号附件1标注红色")
    uow = FakeScoringUnitOfWork()
    live = FakeLive(store_of(log), RULESET, None)
    await reminders.send_reminders(t("2019-08-01T09:00:00"), uow, REQUIREMENTS, RULESET, live, 3)
    await submissions.sweep_submissions(t("2019-08-20T00:00:00"), uow, REQUIREMENTS, RULESET, live)
    units = {e.unit for e in uow.committed_events}
    assert DEPT in units and DEPT2 not in units


async def test_a_sweep_with_nothing_new_reads_nothing_and_still_reminds_on_the_day() -> None:
    """The sweep runs every second; between reminder days it reads nothing, and on a reminder's first day it
    reads and reminds although no submission or unit changed."""
    from scoring.service.submissions import SweepMemo

    log = Log()
    log.register(DEPT)
    uow, memo, reads = FakeScoringUnitOfWork(), SweepMemo(), []
    read = uow.rows.submissions_to_judge

    async def counted() -> list[SubmissionRow]:
        reads.append(1)
        return await read()

    uow.rows.submissions_to_judge = counted  # type: ignore[method-assign]
    live = FakeLive(store_of(log), RULESET, None)

    async def sweep(at: str) -> int:
        return await reminders.send_reminders(t(at), uow, REQUIREMENTS, RULESET, live, 3, memo)

    await sweep("2019-09-02T10:00:00")
    assert len(reads) == 1
    assert await sweep("2019-09-02T23:59:00") == 0 and len(reads) == 1  # nothing could be owed: nothing read
    # due by Thursday 5 September: three working days, the 3rd, 4th and 5th
    assert await sweep("2019-09-03T09:00:00") > 0 and len(reads) == 2
    assert f"remind:{DEPT}:network-docking-progress:2019-09" in uow.rows.reminders
    assert await sweep("2019-09-03T10:00:00") == 0 and len(reads) == 2


async def test_sweeps_over_a_province_of_units_let_other_work_run_between_units() -> None:
    """The sweeps run in the projection's process: one that holds the event loop while it walks every unit holds
    back the alerts of every batch meanwhile (a third of a second for 200 units, seen as alert latency)."""
    import asyncio

    from contracts.values import make_uscc
    from scoring.service import submissions

    log = Log()
    for n in range(150):
        log.register(make_uscc("450000", f"{n:08d}"))
    live = FakeLive(store_of(log), RULESET, None)
    ran = 0
    done = asyncio.Event()

    async def other_work() -> None:
        nonlocal ran
        while not done.is_set():
            ran += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(other_work())
    await asyncio.sleep(0)
    try:
        for sweep in (lambda: reminders.send_reminders(t("2019-08-20T09:00:00"), FakeScoringUnitOfWork(),
                                                        REQUIREMENTS, RULESET, live, 3),
                      lambda: submissions.sweep_submissions(t("2019-08-20T00:00:00"), FakeScoringUnitOfWork(),
                                                            REQUIREMENTS, RULESET, live)):
            before = ran
            await sweep()
            assert ran - before >= 150
    finally:
        done.set()
        await task
