"""#20 part 2, the data of a department's workspace: what the unit can still do in time, each with its
deadline in PRC working days (holidays and make-up days counted) and what missing it costs."""

from __future__ import annotations

from datetime import datetime

from scoring.domain.alert_text import undecided_requests
from scoring.domain.clock import SHANGHAI, to_instant
from scoring.domain.ruleset import RULESETS_DIR, builtin_ruleset
from scoring.domain.submissions import Submitted, builtin_requirements
from scoring.domain.todo import todos, working_days_left

from tests.scoring.builders import DEPT, Log, request, store_of

RULESET = builtin_ruleset()
REQUIREMENTS = builtin_requirements(RULESET, RULESETS_DIR)


def t(text: str) -> int:
    return to_instant(datetime.fromisoformat(text).replace(tzinfo=SHANGHAI))


def test_working_days_left_count_make_up_days_and_skip_the_holiday() -> None:
    # Friday 27 September 2019 to the end of Tuesday 8 October: the 27th, Sunday the 29th (made up), Monday the
    # 30th and the 8th; the 28th (Saturday) and the National Day week are not
    assert working_days_left(t("2019-09-27T10:00:00"), t("2019-10-09T00:00:00")) == 4
    assert working_days_left(t("2019-10-08T23:00:00"), t("2019-10-09T00:00:00")) == 1


def test_a_units_todo_lists_documents_due_requests_to_decide_and_findings_to_appeal() -> None:
    log = Log()
    log.register(DEPT)
    request(log, DEPT, "r-open", "government", "2019-09-02 10:00")
    request(log, DEPT, "r-done", "government", "2019-09-02 10:00", ("approved", "2019-09-03 10:00", ""))
    request(log, DEPT, "r-late", "government", "2019-08-01 10:00")
    store = store_of(log)
    now = t("2019-09-03T10:00:00")
    reqs = REQUIREMENTS.binding(RULESET, "department", frozenset())
    docking = Submitted("s-1", "2019-09", t("2019-09-02T09:00:00"))  # the September report is in
    items = todos(DEPT, requirements=reqs, submissions={"network-docking-progress": [docking]},
                  requests=undecided_requests(store.facts(DEPT).exchange),
                  findings=[("f-1", "A1.2", t("2019-09-02T09:00:00")), ("f-2", "A4.1", t("2019-08-01T09:00:00")),
                            ("f-3", "A1.8", t("2019-09-03T09:00:00"))],
                  appealed={"f-3"}, ruleset=RULESET, now=now, appeal_days=5)
    kinds = [(i.kind, i.what) for i in items]
    assert ("request", "审核答复共享申请 r-open") in kinds
    assert not any("r-done" in w or "r-late" in w for _, w in kinds)  # decided, or past its limit
    appeals = [i for i in items if i.kind == "appeal"]
    assert [a.what.split()[0] for a in appeals] == ["对督查发现"] and "f-1" in appeals[0].what  # f-2 late, f-3 done
    assert appeals[0].points == RULESET.items["A1.2"].points and appeals[0].how == "POST /findings/f-1/appeal"
    due = [i for i in items if i.kind == "submission"]
    assert not any("2019-09 " in i.what and "network-docking-progress" in i.how for i in due)  # it is in
    october = next(i for i in due if "network-docking-progress" in i.how)
    assert "period=2019-10" in october.how and october.item == "A1.3"
    assert [i.due for i in items] == sorted(i.due for i in items)
    open_request = next(i for i in items if i.kind == "request")
    assert open_request.working_days_left == 3  # forwarded on the 2nd: the 3rd, 4th and 5th
