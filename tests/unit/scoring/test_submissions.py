"""Submissions that score themselves (#16): the requirements as data, the judgement of one requirement,
and the handlers on an in-memory unit of work; a month of four units (on time, late, never, returned)
scored from the findings the hub records itself."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace
from datetime import datetime

import pytest
from contracts.fastdecode import decode
from hubkit.auth import Principal, Role
from hubkit.problems import Problem
from hypothesis import given
from hypothesis import strategies as st
from scoring.domain.clock import SHANGHAI, date_end, to_instant
from scoring.domain.documents import NotADocument, document_format
from scoring.domain.engine import evaluate_unit
from scoring.domain.facts import FactStore
from scoring.domain.item_checks import RulesetError
from scoring.domain.ruleset import RULESETS_DIR, builtin_ruleset
from scoring.domain.submissions import (
    GRACE_US,
    Submitted,
    builtin_requirements,
    due_periods,
    judge,
    parse_requirements,
)
from scoring.service import commands as c
from scoring.service import handlers, submissions
from scoring.service.ports import SubmissionRow

from tests.scoring.builders import CITY, DEPT, Log, store_of, uscc

from .fakes import FakeLive, FakeScoringUnitOfWork

RULESET = builtin_ruleset()
REQUIREMENTS = builtin_requirements(RULESET, RULESETS_DIR)
SURVEY = REQUIREMENTS.of_kind("private-network-survey")  # A1.1, flag, once, by 2019-06-30
DOCKING = REQUIREMENTS.of_kind("network-docking-progress")  # A1.3, occurrence, monthly by the 5th
INSPECTOR = Principal("inspector:li", Role.inspector)
OPERATOR = Principal("operator:hub", Role.operator)
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"


def t(text: str) -> int:
    return to_instant(datetime.fromisoformat(text).replace(tzinfo=SHANGHAI))


def sub(received: str, accepted: str | None = None, returned: str | None = None, period: str = "once",
        completed: bool = False, sid: str = "s") -> Submitted:
    return Submitted(sid, period, t(received), t(accepted) if accepted else None, t(returned) if returned else None,
                     completed)


def test_the_builtin_requirements_feed_inspector_items_of_the_ruleset() -> None:
    assert SURVEY is not None and DOCKING is not None
    items = {r.item for r in REQUIREMENTS.requirements}
    assert {"A1.1", "A1.2", "A1.3", "A1.5", "A2.1", "A2.2", "A2.3", "A2.4", "A3.2"} <= items
    assert all(RULESET.items[i].source == "insp" for i in items)
    assert SURVEY.deadline_at("once") == date_end(SURVEY.deadline)  # type: ignore[arg-type]
    assert DOCKING.deadline_at("2019-08") == t("2019-08-06T00:00:00")


@pytest.mark.parametrize("text, reason", [
    ('ruleset = "gx-2019"\n[[requirement]]\nkind="x"\ntitle_zh="x"\nitem="B1.1"\ndue="once"\ndeadline=2019-06-30',
     "not an inspector's flag or occurrence item"),
    ('ruleset = "gx-2019"\n[[requirement]]\nkind="x"\ntitle_zh="x"\nitem="A1.3"\ndue="monthly"\nfrom="2019-07"\nday=31',
     "day must be 1-28"),
    ('ruleset = "gx-2019"\n[[requirement]]\nkind="x"\ntitle_zh="x"\nitem="A1.1"\ndue="weekly"', "due must be"),
    ('ruleset = "gx-2020"', "not 'gx-2019'"),
    ('ruleset = "gx-2019"\n[[requirement]]\nkind="x"\ntitle_zh="x"\nitem="A1.1"\ndue="once"', "deadline is required"),
])
def test_a_bad_requirements_file_is_refused_naming_the_requirement(text: str, reason: str) -> None:
    with pytest.raises(RulesetError, match=reason):
        parse_requirements(text, RULESET, "test.toml")


def test_on_time_late_never_and_returned() -> None:
    assert SURVEY is not None
    deadline, after = t("2019-07-01T00:00:00"), t("2019-08-31T12:00:00")
    assert judge(SURVEY, "once", [sub("2019-06-20T10:00:00", accepted="2019-07-03T10:00:00")], after, True) is None
    # under review at the deadline, accepted later: met
    assert judge(SURVEY, "once", [sub("2019-06-30T23:00:00")], after, True) is None
    late = judge(SURVEY, "once", [sub("2019-07-10T10:00:00", accepted="2019-07-12T10:00:00")], after, True)
    assert late is not None and (late.at, late.resolved_at) == (deadline, t("2019-07-12T10:00:00"))
    never = judge(SURVEY, "once", [], after, True)
    assert never is not None and (never.at, never.resolved_at) == (deadline, None)
    returned = judge(SURVEY, "once", [sub("2019-06-20T10:00:00", returned="2019-07-08T09:00:00")], after, True)
    assert returned is not None and (returned.at, returned.resolved_at) == (t("2019-07-08T09:00:00"), None)
    # before the deadline nothing is judged; a return not yet made is not known
    assert judge(SURVEY, "once", [], deadline, True) is None
    assert judge(SURVEY, "once", [sub("2019-06-20T10:00:00", returned="2019-07-08T09:00:00")],
                 t("2019-07-05T00:00:00"), True) is None


def test_monthly_reports_are_due_until_one_says_the_work_is_complete() -> None:
    assert DOCKING is not None
    now = t("2019-10-20T00:00:00")
    assert due_periods(DOCKING, [], now) == ["2019-07", "2019-08", "2019-09", "2019-10"]
    done = [sub("2019-08-03T10:00:00", accepted="2019-08-04T10:00:00", period="2019-08", completed=True)]
    assert due_periods(DOCKING, done, now) == ["2019-07", "2019-08"]
    # the 5th of the month is judged only after its end (and the grace)
    assert due_periods(DOCKING, [], t("2019-08-06T00:00:00")) == ["2019-07"]
    assert due_periods(DOCKING, [], t("2019-08-06T00:00:00") + GRACE_US) == ["2019-07", "2019-08"]
    occurrence = judge(DOCKING, "2019-09", [sub("2019-09-08T10:00:00", period="2019-09")], now, False)
    assert occurrence is not None and occurrence.at == t("2019-09-06T00:00:00")


@given(st.lists(st.tuples(st.integers(-5, 5), st.one_of(st.none(), st.integers(0, 9)), st.booleans()),
                max_size=4))
def test_met_exactly_when_a_submission_came_in_time_and_was_not_returned(spec: list[tuple[int, int | None, bool]]
                                                                        ) -> None:
    """Days relative to the deadline day; each submission is reviewed `review` days after it came, if ever."""
    assert SURVEY is not None
    deadline = SURVEY.deadline_at("once")
    now = deadline + 20 * 86_400_000_000
    subs = []
    for n, (day, review, accept) in enumerate(spec):
        received = deadline + day * 86_400_000_000 - 3_600_000_000
        reviewed = received + review * 86_400_000_000 if review is not None else None
        subs.append(Submitted(f"s{n}", "once", received, reviewed if accept else None,
                              None if accept else reviewed))
    miss = judge(SURVEY, "once", subs, now, flag=False)
    standing = [s for s in subs if s.received_at <= deadline and s.returned_at is None]
    assert (miss is None) == bool(standing)
    if miss is not None:
        assert miss.at >= deadline and miss.at <= now


def test_a_document_is_what_its_bytes_and_name_say() -> None:
    assert document_format("表.pdf", PDF) == "pdf"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    assert document_format("调查表.xlsx", buf.getvalue()) == "xlsx"
    for name, data, reason in (("表.xlsx", PDF, "named .xlsx but its content is a PDF"),
                               ("表.exe", PDF, "is not a"), ("表.pdf", b"", "empty"),
                               ("表.docx", buf.getvalue(), "content is a XLSX"),
                               ("表.pdf", b"MZ\x90\x00", "none of")):
        with pytest.raises(NotADocument, match=reason):
            document_format(name, data)


# ── the handlers ─────────────────────────────────────────────────────────────────────────────
ON_TIME, LATE, NEVER, RETURNED = DEPT, uscc("450000", "00000011"), uscc("450000", "00000012"), \
    uscc("450000", "00000013")
NO_A1 = uscc("450000", "00000014")


def month_log() -> Log:
    log = Log()
    for unit in (ON_TIME, LATE, NEVER, RETURNED):
        log.register(unit)
    log.register(NO_A1, absent=["A1"])
    log.register(CITY, kind="city")
    return log


def submit_cmd(unit: str, at: str, kind: str = "private-network-survey", period: str | None = None,
               name: str = "调查表.pdf", data: bytes = PDF, completed: bool = False) -> c.Submit:
    return c.Submit(actor=Principal(f"department:{unit}", Role.department, unit), unit=unit, kind=kind,
                    period=period, file_name=name, file=data, completed=completed,
                    at=datetime.fromisoformat(at).replace(tzinfo=SHANGHAI))


def review_cmd(unit: str, sid: str, at: str, accept: bool, reason: str | None = None) -> c.Review:
    return c.Review(actor=INSPECTOR, unit=unit, submission_id=sid, accept=accept, reason=reason,
                    at=datetime.fromisoformat(at).replace(tzinfo=SHANGHAI))


@pytest.mark.parametrize("cmd, detail", [
    (submit_cmd(DEPT, "2019-06-01T10:00:00", kind="horoscope"), "is not a submission the rules ask for"),
    (submit_cmd(NO_A1, "2019-06-01T10:00:00"), "is not asked of this unit"),
    (submit_cmd(uscc("450000", "00000099"), "2019-06-01T10:00:00"), "not a registered department or city"),
    (submit_cmd(DEPT, "2019-08-01T10:00:00", kind="network-docking-progress", period="2019-09"), "in the future"),
    (submit_cmd(DEPT, "2019-08-01T10:00:00", kind="network-docking-progress", period="2019-06"), "due monthly from"),
    (submit_cmd(DEPT, "2019-08-01T10:00:00", period="2019-08"), "is submitted once"),
    (submit_cmd(DEPT, "2019-06-01T10:00:00", name="调查表.xlsx"), "named .xlsx"),
    (submit_cmd(DEPT, "2019-06-01T10:00:00", completed=True), "only a monthly progress report"),
    (replace(submit_cmd(DEPT, "2019-08-01T10:00:00"), received_at=datetime(2019, 6, 1, tzinfo=SHANGHAI)),
     "only the bureau enters"),
    (replace(submit_cmd(DEPT, "2019-08-01T10:00:00"), actor=OPERATOR,
             received_at=datetime(2019, 8, 2, tzinfo=SHANGHAI)), "is in the future"),
])
async def test_a_wrong_submission_is_a_422_and_changes_nothing(cmd: c.Submit, detail: str) -> None:
    uow = FakeScoringUnitOfWork()
    live = FakeLive(store_of(month_log()), RULESET, None)
    with pytest.raises(Problem) as refused:
        await submissions.submit(cmd, uow, REQUIREMENTS, RULESET, live)
    assert refused.value.status == 422 and detail in refused.value.detail
    assert not uow.rows.submissions and not uow.committed_events


async def test_a_submission_is_reviewed_once_and_a_return_needs_a_reason() -> None:
    uow = FakeScoringUnitOfWork()
    live = FakeLive(store_of(month_log()), RULESET, None)
    row = await submissions.submit(submit_cmd(DEPT, "2019-06-01T10:00:00"), uow, REQUIREMENTS, RULESET, live)
    assert row.period == "once" and row.file_format == "pdf" and row.status == "received"
    with pytest.raises(Problem) as no_reason:
        await submissions.review_submission(review_cmd(DEPT, row.submission_id, "2019-06-02T10:00:00", False, " "), uow)
    assert no_reason.value.status == 422
    with pytest.raises(Problem) as other_unit:
        await submissions.review_submission(review_cmd(CITY, row.submission_id, "2019-06-02T10:00:00", True), uow)
    assert other_unit.value.status == 404
    done = await submissions.review_submission(review_cmd(DEPT, row.submission_id, "2019-06-02T10:00:00", True), uow)
    assert done.status == "accepted" and done.reviewer == "inspector:li"
    with pytest.raises(Problem) as again:
        await submissions.review_submission(review_cmd(DEPT, row.submission_id, "2019-06-03T10:00:00", False, "x"), uow)
    assert again.value.status == 409
    assert [e.type for e in uow.committed_events] == ["scoring.submission-received", "scoring.submission-accepted"]


async def test_a_month_of_four_units_scores_each_as_the_rules_say() -> None:
    """On time (accepted), late (accepted), never, returned: A1.1 costs the last three in July, the late one
    only until its acceptance (July), the explanation names the survey form; a second sweep adds nothing."""
    log = month_log()
    store = store_of(log)
    uow = FakeScoringUnitOfWork()
    live = FakeLive(store, RULESET, None)

    async def sub_and_review(unit: str, at: str, review_at: str | None, accept: bool) -> None:
        row = await submissions.submit(submit_cmd(unit, at), uow, REQUIREMENTS, RULESET, live)
        if review_at:
            await submissions.review_submission(review_cmd(unit, row.submission_id, review_at, accept,
                                                        None if accept else "缺少机房清单"), uow)

    await sub_and_review(ON_TIME, "2019-06-20T10:00:00", "2019-07-02T10:00:00", True)
    await sub_and_review(LATE, "2019-07-10T10:00:00", "2019-07-15T10:00:00", True)
    await sub_and_review(RETURNED, "2019-06-25T10:00:00", "2019-07-08T09:00:00", False)
    now = t("2019-08-20T00:00:00")
    assert await submissions.sweep_submissions(now, uow, REQUIREMENTS, RULESET, live) > 0
    assert await submissions.sweep_submissions(now, uow, REQUIREMENTS, RULESET, live) == 0  # once
    findings = [e for e in uow.committed_events if e.type == "scoring.finding-recorded"]
    a11 = {(e.unit, e.data.effect, e.occurred_at.isoformat()) for e in findings
           if e.data.item == "A1.1" and e.unit != CITY}
    assert any(e.unit == CITY and e.data.item == "A1.1" for e in findings)  # cities are asked too
    assert a11 == {(LATE, "holds", "2019-07-01T00:00:00+08:00"), (LATE, "resolved", "2019-07-15T10:00:00+08:00"),
                   (NEVER, "holds", "2019-07-01T00:00:00+08:00"), (RETURNED, "holds", "2019-07-08T09:00:00+08:00")}
    assert not any(e.unit == NO_A1 and e.data.item.startswith("A1") for e in findings)  # A1 absent
    assert all(e.data.inspector == "hub:submissions" for e in findings)
    never = next(e for e in findings if e.unit == NEVER and e.data.item == "A1.1")
    assert "未按要求报送《自治区本级现有业务专网信息调查表》" in never.data.note and "2019-06-30" in never.data.note

    # Scored from the events alone, as the live projection and an auditor's replay fold them.
    events = [*(json.loads(json.dumps(e)) for e in log.events), *(json.loads(e.model_dump_json()) for e in findings)]
    scored = FactStore()
    for e in events:
        scored.apply(decode(json.dumps(e)))

    def a11_points(unit: str, month: str) -> str | None:
        result = evaluate_unit(RULESET, scored.directory, scored, unit, month, now + 40 * 86_400_000_000)
        points = result.items.get("A1.1")
        return f"{points:.2f}" if points is not None else None

    assert [a11_points(u, "2019-07") for u in (ON_TIME, LATE, NEVER, RETURNED)] == [None, "1.00", "1.00", "1.00"]
    assert [a11_points(u, "2019-08") for u in (ON_TIME, LATE, NEVER, RETURNED)] == [None, None, "1.00", "1.00"]
    assert a11_points(ON_TIME, "2019-06") is None and a11_points(NEVER, "2019-06") is None
    # the monthly docking report (A1.3): July and August missed by everyone bound by A1
    a13 = {(e.unit, e.occurred_at.isoformat()) for e in findings if e.data.item == "A1.3"}
    assert (NEVER, "2019-07-06T00:00:00+08:00") in a13 and (NEVER, "2019-08-06T00:00:00+08:00") in a13
    assert not any(u == NO_A1 for u, _ in a13)


async def test_the_bureau_enters_a_paper_submission_with_the_day_it_came() -> None:
    """A survey form the bureau received on paper in June, entered in August: on time, no A1.1."""
    uow = FakeScoringUnitOfWork()
    live = FakeLive(store_of(month_log()), RULESET, None)
    paper = replace(submit_cmd(NEVER, "2019-08-01T10:00:00"), actor=OPERATOR,
                    received_at=datetime(2019, 6, 20, 15, tzinfo=SHANGHAI))
    row = await submissions.submit(paper, uow, REQUIREMENTS, RULESET, live)
    assert row.received_at == paper.received_at
    received = uow.committed_events[-1]
    assert received.occurred_at == paper.received_at and received.data.entered_by == "operator:hub"
    await submissions.sweep_submissions(t("2019-08-20T00:00:00"), uow, REQUIREMENTS, RULESET, live)
    assert not [e for e in uow.committed_events
                if e.type == "scoring.finding-recorded" and e.unit == NEVER and e.data.item == "A1.1"]


async def test_a_unit_is_judged_from_its_first_day_and_a_paper_entry_cannot_undo_a_recorded_miss() -> None:
    log = Log()
    log.register(NEVER, when="2019-08-01 09:00")  # registered after the survey form's deadline
    uow = FakeScoringUnitOfWork()
    live = FakeLive(store_of(log), RULESET, None)
    memo = submissions.SweepMemo()  # the first day's end is an instant the sweep waits for, as a deadline
    # the bureau's first day with the unit: nothing is judged yet
    assert await submissions.sweep_submissions(t("2019-08-02T08:00:00"), uow, REQUIREMENTS, RULESET, live, memo) == 0
    assert await submissions.sweep_submissions(t("2019-08-02T09:30:00"), uow, REQUIREMENTS, RULESET, live, memo) > 0
    paper = replace(submit_cmd(NEVER, "2019-08-03T10:00:00"), actor=OPERATOR,
                    received_at=datetime(2019, 6, 20, 15, tzinfo=SHANGHAI))
    with pytest.raises(Problem) as late_entry:
        await submissions.submit(paper, uow, REQUIREMENTS, RULESET, live)
    assert late_entry.value.status == 409 and not uow.rows.submissions


def test_the_item_sources_table_is_the_rules_own() -> None:
    """docs/ITEM-SOURCES.md (linked from the README) is generated from the ruleset and its submission and
    inventory rules."""
    from pathlib import Path

    from scoring.domain.inventory import builtin_inventory_rules
    from scoring.domain.sources import sources_markdown

    doc = Path(__file__).resolve().parents[3] / "docs" / "ITEM-SOURCES.md"
    assert doc.read_text(encoding="utf-8") == sources_markdown(
        RULESET, REQUIREMENTS, builtin_inventory_rules(RULESET, RULESETS_DIR)), \
        "run: hub-scoring sources --write docs/ITEM-SOURCES.md"


async def test_an_inspector_cannot_take_an_id_of_the_hub_s_own_findings() -> None:
    uow = FakeScoringUnitOfWork()
    live = FakeLive(store_of(month_log()), RULESET, None)
    cmd = c.RecordFinding(actor=INSPECTOR, finding_id=f"sub:{NEVER}:private-network-survey:once", unit=NEVER,
                          item="A1.1", effect="holds", count=None, numerator=None, denominator=None, size=None,
                          attributed_unit=None, note="", at=datetime(2019, 8, 1, tzinfo=SHANGHAI))
    with pytest.raises(Problem) as refused:
        await handlers.record_finding(cmd, uow, RULESET, live)
    assert refused.value.status == 422 and "the hub's own" in refused.value.detail


class _Counting(FakeScoringUnitOfWork):
    """Counts how often a sweep read the submissions."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0
        read = self.rows.submissions_to_judge

        async def counted() -> list[SubmissionRow]:
            self.reads += 1
            return await read()

        self.rows.submissions_to_judge = counted  # type: ignore[method-assign]


async def test_a_sweep_that_could_find_nothing_new_reads_nothing_and_one_that_could_finds_it() -> None:
    """The sweep runs every second; between deadlines, returns and new submissions it reads nothing. A
    return stamped ahead of the sweep's event time, a deadline passing and a new submission each make the
    next pass read (and judge) again."""
    uow, memo = _Counting(), submissions.SweepMemo()
    live = FakeLive(store_of(month_log()), RULESET, None)

    async def sweep(at: str) -> int:
        return await submissions.sweep_submissions(t(at), uow, REQUIREMENTS, RULESET, live, memo)

    survey = await submissions.submit(submit_cmd(RETURNED, "2019-06-25T10:00:00"), uow, REQUIREMENTS, RULESET, live)
    # returned at 9:00 on 8 July, by a clock ahead of the facts' event time
    await submissions.review_submission(review_cmd(RETURNED, survey.submission_id, "2019-07-08T09:00:00", False,
                                                   "缺少机房清单"), uow)
    first = await sweep("2019-07-03T10:00:00")
    assert first > 0 and uow.reads == 1
    assert await sweep("2019-07-03T10:00:01") == 0 and await sweep("2019-07-05T23:00:00") == 0
    assert uow.reads == 1  # nothing changed: nothing read

    def held(unit: str, item: str) -> bool:
        return any(e.type == "scoring.finding-recorded" and e.unit == unit and e.data.item == item
                   and e.data.effect in ("holds", "occurrence") for e in uow.committed_events)

    assert not held(NEVER, "A1.3")
    assert await sweep("2019-07-06T00:30:00") > 0  # the July docking reports were due by the 5th
    assert uow.reads == 2 and held(NEVER, "A1.3") and not held(RETURNED, "A1.1")
    assert await sweep("2019-07-08T08:59:00") == 0 and uow.reads == 2
    assert await sweep("2019-07-08T09:30:00") > 0  # the return, stamped ahead of the earlier passes
    assert uow.reads == 3 and held(RETURNED, "A1.1")
    assert await sweep("2019-07-09T09:30:00") == 0 and uow.reads == 3
    await submissions.submit(submit_cmd(NEVER, "2019-07-09T10:00:00"), uow, REQUIREMENTS, RULESET, live)
    assert await sweep("2019-07-09T10:30:00") == 0 and uow.reads == 4  # a new submission: read again
