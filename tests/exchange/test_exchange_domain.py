"""The request workflow and its working-day deadlines, without servers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from contracts import Envelope, new_envelope
from contracts.values import build_resource_code, make_uscc
from contracts.workdays import SHANGHAI, add_working_days, is_working_day, working_days_between, working_deadline
from exchange.domain.requests import (
    DECISION_DAYS,
    AccessRequest,
    Status,
    TransitionRefused,
    data_kind_of,
    decide,
    events_of,
    overdue,
    reply,
    reported_late,
    review,
    submit,
)
from hypothesis import given
from hypothesis import strategies as st


def _events(req: AccessRequest, before: Status | None) -> list[Envelope]:
    """The events the domain says a step owes, as the handlers emit them (about the provider)."""
    return [new_envelope(p, unit=req.provider, occurred_at=at) for p, at in events_of(before, req)]


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def conditional(now: datetime, kind: str = "government"):  # type: ignore[no-untyped-def]
    return submit("r-1", "REQ", "PRO", "code", kind, "conditional", None, now)


def test_unconditional_is_granted_at_once_and_not_shared_refused_with_basis() -> None:
    now = sh(2019, 8, 5, 10)
    granted = submit("r", "A", "B", "c", "government", "unconditional", None, now)
    assert granted.status == "active" and granted.activated_at == now
    refused = submit("r", "A", "B", "c", "government", "not_shared", "《保密法》第九条", now)
    assert refused.status == "refused" and "《保密法》第九条" in (refused.reason or "")
    with pytest.raises(TransitionRefused, match="its own resource"):
        submit("r", "A", "A", "c", "government", "conditional", None, now)
    # an unconditional share whose interface needs control parameters is reviewed like a conditional one
    controlled = submit("r", "A", "B", "c", "government", "unconditional", None, now, control_parameters=True)
    assert controlled.status == "submitted" and controlled.review_due is not None


def test_conditional_path_across_national_day() -> None:
    # Submitted Fri 2019-09-27: Sat 09-28 is off, Sun 09-29 a make-up working day, so the review
    # is due 24:00 of Mon 09-30.
    req = conditional(sh(2019, 9, 27, 16))
    assert req.status == "submitted" and req.review_due == sh(2019, 10, 1)
    # Forwarded Mon 09-30: 10-01..10-07 are holidays, so 3 working days end on Thu 10-10.
    req = review(req, True, None, sh(2019, 9, 30, 11))
    assert req.status == "forwarded" and req.provider_due == sh(2019, 10, 11)
    sup = review(conditional(sh(2019, 9, 27, 16), "supervision"), True, None, sh(2019, 9, 30, 11))
    assert sup.provider_due == sh(2019, 10, 13)  # 10-12 (Sat) is a make-up working day
    assert not overdue(req, sh(2019, 10, 10, 23, 59))
    assert overdue(req, sh(2019, 10, 11))
    done = decide(req, "PRO", True, None, sh(2019, 10, 9, 9))
    assert done.reply_due == sh(2019, 10, 12)  # 10-10 and 10-11 are the two working days
    assert reply(done, sh(2019, 10, 10, 9)).status == "active"


def test_invalid_transitions_are_refused_with_the_reason() -> None:
    req = review(conditional(sh(2019, 8, 5, 9)), True, None, sh(2019, 8, 5, 10))
    with pytest.raises(TransitionRefused, match="addressed to PRO, not OTHER") as wrong:
        decide(req, "OTHER", True, None, sh(2019, 8, 6))
    assert wrong.value.status == 403
    with pytest.raises(TransitionRefused, match="a refusal must state its reason"):
        decide(req, "PRO", False, "   ", sh(2019, 8, 6))
    rejected = decide(req, "PRO", False, "数据涉及个人隐私", sh(2019, 8, 6))
    with pytest.raises(TransitionRefused, match="is rejected; only a forwarded request can approve or reject"):
        decide(rejected, "PRO", True, None, sh(2019, 8, 7))
    assert reply(rejected, sh(2019, 8, 7)).status == "closed"
    with pytest.raises(TransitionRefused, match="needs a reason"):
        review(conditional(sh(2019, 8, 5)), False, "", sh(2019, 8, 5))


@given(st.datetimes(min_value=datetime(2004, 1, 1), max_value=datetime(2026, 12, 20), timezones=st.just(SHANGHAI)),
       st.sampled_from(["government", "supervision"]))
def test_deadlines_end_at_midnight_after_a_working_day(start: datetime, kind: str) -> None:
    req = review(conditional(start, kind), True, None, start)
    for due in (req.review_due, req.provider_due):
        assert due is not None and due > start
        local = due.astimezone(SHANGHAI)
        assert (local.hour, local.minute) == (0, 0)
        assert is_working_day((local - timedelta(days=1)).date())


def test_supervision_data_is_what_the_catalog_classifies_under_supervision() -> None:
    assert data_kind_of("监管数据/市场监管/行政处罚", None) == "supervision"
    assert data_kind_of("基础信息/法人", "市场监管") == "government"


# Hand-checked against the State Council schedules: 2019 National Day 10-01..10-07 off, Sun 09-29 and
# Sat 10-12 worked; New Year 2018/19 12-30..01-01 off, Sat 12-29 worked; New Year 2020 01-01 off;
# Spring Festival 2019 02-04..02-10 off, Sat 02-02 and Sun 02-03 worked.
@pytest.mark.parametrize(("forwarded", "kind", "due"), [
    # The example: Fri 09-27 → Sun 09-29 (1), Mon 09-30 (2), holidays, Tue 10-08 (3): 24:00 of 10-08.
    (sh(2019, 9, 27, 10), "government", sh(2019, 10, 9)),
    # … and 5 days for supervision data: 10-08 (3), 10-09 (4), 10-10 (5).
    (sh(2019, 9, 27, 10), "supervision", sh(2019, 10, 11)),
    # Forwarded on a holiday: the clock starts with the next working day.
    (sh(2019, 10, 3, 10), "government", sh(2019, 10, 11)),
    # The local day counts, not the UTC one: 2019-09-26T16:30Z is Fri 09-27 00:30 in Shanghai.
    (datetime(2019, 9, 26, 16, 30, tzinfo=UTC), "government", sh(2019, 10, 9)),
    # Across the year end: Fri 2018-12-28 → Sat 12-29 (1, make-up), Wed 01-02 (2), Thu 01-03 (3).
    (sh(2018, 12, 28, 17), "government", sh(2019, 1, 4)),
    # Tue 2019-12-31 → Thu 2020-01-02 (1), Fri 01-03 (2), Mon 01-06 (3).
    (sh(2019, 12, 31, 9), "government", sh(2020, 1, 7)),
    # Fri 2019-02-01 → Sat 02-02 (1), Sun 02-03 (2), Spring Festival, Mon 02-11 (3), 02-12 (4), 02-13 (5).
    (sh(2019, 2, 1, 9), "supervision", sh(2019, 2, 14)),
])
def test_provider_deadline_around_holidays_and_make_up_days(forwarded: datetime, kind: str, due: datetime) -> None:
    req = review(conditional(forwarded - timedelta(hours=1), kind), True, None, forwarded)
    assert req.provider_due == due
    assert working_deadline(forwarded, DECISION_DAYS[kind]) == due
    assert not overdue(req, due - timedelta(microseconds=1)) and overdue(req, due)


def test_make_up_working_days_count() -> None:
    assert is_working_day(date(2019, 9, 29)) and is_working_day(date(2019, 10, 12))
    assert not is_working_day(date(2019, 10, 7)) and not is_working_day(date(2019, 9, 28))
    assert add_working_days(date(2019, 9, 27), 3) == date(2019, 10, 8)


@given(st.datetimes(min_value=datetime(2005, 1, 1), max_value=datetime(2026, 12, 1), timezones=st.just(SHANGHAI)),
       st.integers(min_value=1, max_value=10))
def test_working_deadlines_land_on_working_days(start: datetime, n: int) -> None:
    due = working_deadline(start, n).astimezone(SHANGHAI)
    last = (due - timedelta(days=1)).date()
    assert (due.hour, due.minute, due.second) == (0, 0, 0)
    assert is_working_day(last)
    assert working_days_between(start.date(), last) == n  # exactly n working days after the start's day


def test_overdue_is_reported_once_and_never_for_a_decided_request() -> None:
    req = review(conditional(sh(2019, 8, 5, 9)), True, None, sh(2019, 8, 5, 10))
    late = sh(2019, 8, 20)
    assert overdue(req, late)
    assert not overdue(replace(req, overdue_at=req.provider_due), late)
    decided = decide(req, "PRO", True, None, sh(2019, 8, 6))
    assert not overdue(decided, late)
    # A late decision is still accepted (scoring judges it late by its timestamps).
    assert decide(req, "PRO", False, "超出共享范围", late).status == "rejected"


def test_reply_and_dispute_windows() -> None:
    req = review(conditional(sh(2019, 9, 26, 9)), True, None, sh(2019, 9, 26, 10))
    approved = decide(req, "PRO", True, None, sh(2019, 9, 30, 15))
    assert approved.reply_due == sh(2019, 10, 10)  # Tue 10-08 and Wed 10-09 after the holidays
    active = reply(approved, sh(2019, 10, 8, 9))
    assert active.status == "active" and active.activated_at == sh(2019, 10, 8, 9)
    # a problem found on 10-08 is reported in time through 10-10 (10-09 and 10-10), late from 10-11 on
    assert not reported_late(sh(2019, 10, 8, 9), sh(2019, 10, 10, 23, 59))
    assert reported_late(sh(2019, 10, 8, 9), sh(2019, 10, 11))
    with pytest.raises(TransitionRefused, match="only a decided request"):
        reply(active, sh(2019, 10, 9))
    with pytest.raises(TransitionRefused, match="only a submitted request can review"):
        review(active, True, None, sh(2019, 10, 9))


def test_unconditional_grant_emits_submitted_forwarded_and_approved_at_once() -> None:
    now = sh(2019, 8, 5, 10)
    req_unit, pro = make_uscc("450000", "REQ00001"), make_uscc("450000", "PR000001")
    code = build_resource_code("450000", pro, 1)
    granted = submit("r-9", req_unit, pro, code, "government", "unconditional", None, now)
    events = _events(granted, None)
    assert [e.type for e in events] == ["exchange.request-submitted", "exchange.request-forwarded",
                                        "exchange.request-approved"]
    assert all(e.unit == pro and e.occurred_at == now for e in events)
    refused = submit("r-8", req_unit, pro, code, "government", "not_shared", "依据", now)
    assert [e.type for e in _events(refused, None)] == ["exchange.request-submitted"]
    req = submit("r-7", req_unit, pro, code, "government", "conditional", None, now)
    assert [e.type for e in _events(req, None)] == ["exchange.request-submitted"]
    fwd = review(req, True, None, sh(2019, 8, 6, 9))
    assert [e.type for e in _events(fwd, "submitted")] == ["exchange.request-forwarded"]
    rej = decide(fwd, pro, False, "不符合共享条件", sh(2019, 8, 7, 9))
    [event] = _events(rej, "forwarded")
    assert event.type == "exchange.request-rejected" and event.occurred_at == sh(2019, 8, 7, 9)
    assert event.data.forwarded_at == sh(2019, 8, 6, 9)  # type: ignore[attr-defined]
    assert _events(reply(rej, sh(2019, 8, 8)), "rejected") == []
