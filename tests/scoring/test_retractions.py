"""A withdrawn finding never counted (#16): whatever the order the finding and its retraction arrive in,
for every kind of finding, at the unit it was found at and at the unit it was attributed to; the live
projection re-scores the month the finding moved even when the retraction comes months later."""

from __future__ import annotations

from typing import Any

import pytest
from contracts.fastdecode import decode
from scoring.domain.projection import Projection
from scoring.domain.ruleset import builtin_ruleset

from tests.scoring.builders import CITY, DEPT, OTHER_DEPT, Log, at, items, unit_score


def retract(log: Log, finding: dict[str, Any], when: str) -> dict[str, Any]:
    return log.add("scoring.finding-retracted", finding["unit"], when, finding_id=finding["data"]["finding_id"],
                   item=finding["data"]["item"], attributed_unit=finding["data"].get("attributed_unit"),
                   finding_occurred_at=finding["occurred_at"], reason="认定有误", by="inspector-2")


def base() -> Log:
    log = Log()
    for unit in (DEPT, OTHER_DEPT):
        log.register(unit)
    log.register(CITY, kind="city")
    return log


@pytest.mark.parametrize("effect, extra, item", [
    ("holds", {}, "A1.2"),
    ("occurrence", {"count": 2}, "A1.3"),
    ("rate", {"numerator": 1, "denominator": 10}, "A3.6"),
    ("achieved", {}, "E2.1"),
])
@pytest.mark.parametrize("retracted_first", [False, True])
def test_a_retracted_finding_never_counts(effect: str, extra: dict[str, Any], item: str,
                                          retracted_first: bool) -> None:
    log = base()
    kept = log.finding(DEPT, "A1.4", "holds", "2019-08-02 09:00")  # another finding stays
    finding = log.finding(DEPT, item, effect, "2019-08-05 09:00", **extra)
    assert item in items(unit_score(log, DEPT, "2019-08"))
    retract(log, finding, "2019-09-10 09:00")
    if retracted_first:
        log.events.insert(log.events.index(finding), log.events.pop())
    for month in ("2019-08", "2019-09"):
        scored = items(unit_score(log, DEPT, month))
        assert item not in scored and "A1.4" in scored, (month, scored)
    assert kept["data"]["finding_id"] != finding["data"]["finding_id"]


def test_an_attributed_occurrence_withdrawn_costs_the_provider_nothing_either() -> None:
    log = base()
    finding = log.finding(OTHER_DEPT, "C2.2", "occurrence", "2019-08-05 09:00", count=1, attributed_unit=DEPT)
    assert "C2.2" in items(unit_score(log, DEPT, "2019-08"))
    retract(log, finding, "2019-08-20 09:00")
    assert "C2.2" not in items(unit_score(log, DEPT, "2019-08"))
    assert "C2.2" not in items(unit_score(log, OTHER_DEPT, "2019-08"))


def test_the_live_projection_rescores_the_month_the_finding_moved() -> None:
    """The retraction is in September; the finding moved August: August is evaluated again."""
    log = base()
    finding = log.finding(DEPT, "A1.2", "holds", "2019-08-05 09:00")
    log.finding(DEPT, "A1.4", "holds", "2019-09-01 09:00")  # the watermark moves on to September
    projection = Projection(builtin_ruleset())
    before = projection.watermark
    projection.refresh(projection.fold([decode(line) for line in log.lines()]), projection.months_to_sweep(before))
    assert "A1.2" in projection.published[(DEPT, "2019-08")].items
    retraction = retract(log, finding, "2019-09-20 09:00")
    before = projection.watermark
    projection.refresh(projection.fold([decode(log.lines()[-1])]), projection.months_to_sweep(before))
    assert retraction["occurred_at"] == at("2019-09-20 09:00")
    august = projection.published[(DEPT, "2019-08")]
    assert "A1.2" not in august.items
    assert august == unit_score(log, DEPT, "2019-08")


def test_an_auditor_s_replay_of_a_month_honours_a_later_retraction() -> None:
    """The replay keeps only what can matter to the month; a retraction made after it still does."""
    import io

    from scoring.replay import numbered_lines, replay

    log = base()
    finding = log.finding(DEPT, "A1.2", "holds", "2019-08-05 09:00")
    retract(log, finding, "2019-10-01 09:00")
    lines = io.BytesIO(b"\n".join(log.lines()) + b"\n")
    result = replay(numbered_lines(lines), builtin_ruleset(), "2019-08").result
    dept = next(u for u in result.units if u.unit == DEPT)
    assert "A1.2" not in dept.items and dept == unit_score(log, DEPT, "2019-08")
