"""The request workflow and its working-day deadlines, without servers."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from contracts.workdays import SHANGHAI, is_working_day
from exchange.domain.requests import (
    TransitionRefused,
    data_kind_of,
    decide,
    dispute_deadline,
    overdue,
    reply,
    review,
    submit,
)
from hypothesis import given
from hypothesis import strategies as st


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
    for due in (req.review_due, req.provider_due, dispute_deadline(start)):
        assert due is not None and due > start
        local = due.astimezone(SHANGHAI)
        assert (local.hour, local.minute) == (0, 0)
        assert is_working_day((local - timedelta(days=1)).date())


def test_supervision_data_is_what_the_catalog_classifies_under_supervision() -> None:
    assert data_kind_of("监管数据/市场监管/行政处罚", None) == "supervision"
    assert data_kind_of("基础信息/法人", "市场监管") == "government"
