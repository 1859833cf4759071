"""The exchange's use cases on an in-memory unit of work: each step's events, deadlines, and refusals
that change nothing and say nothing. No database, no broker."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from contracts.values import build_resource_code, make_uscc
from contracts.workdays import SHANGHAI
from exchange.service import commands as c
from exchange.service import handlers
from hubkit.auth import Principal, Role
from hubkit.problems import Problem

from .fakes import FakeExchangeUnitOfWork

PROVIDER, CONSUMER, STRANGER = (make_uscc("450000", m) for m in ("PR000001", "CN000001", "XT000001"))
OPEN = build_resource_code("450000", PROVIDER, 1)
GATED = build_resource_code("450000", PROVIDER, 2)
SECRET = build_resource_code("450000", PROVIDER, 3)
BUREAU = Principal("operator:hub", Role.operator)


def dept(unit: str) -> Principal:
    return Principal(f"department:{unit}", Role.department, unit=unit)


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def hub() -> FakeExchangeUnitOfWork:
    uow = FakeExchangeUnitOfWork()
    uow.rows.publish(OPEN, PROVIDER, "unconditional")
    uow.rows.publish(GATED, PROVIDER, "conditional")
    uow.rows.publish(SECRET, PROVIDER, "not_shared", share_basis="《保密法》")
    return uow


def types(uow: FakeExchangeUnitOfWork) -> list[str]:
    return [e.type for e in uow.committed_events]


async def submit(uow: FakeExchangeUnitOfWork, code: str, at: datetime, unit: str = CONSUMER) -> str:
    req = await handlers.submit_request(c.SubmitRequest(actor=dept(unit), requester=unit, resource_code=code,
                                                        purpose="办件核验", at=at), uow)
    return req.id


async def test_an_unconditional_share_is_granted_at_once_and_a_secret_one_refused_citing_its_basis() -> None:
    uow, at = hub(), sh(2019, 8, 5, 9)
    granted = uow.rows.requests[await submit(uow, OPEN, at)]
    assert granted.status == "active"
    assert types(uow) == ["exchange.request-submitted", "exchange.request-forwarded", "exchange.request-approved"]
    assert {(e.unit, e.occurred_at) for e in uow.committed_events} == {(PROVIDER, at)}
    refused = uow.rows.requests[await submit(uow, SECRET, at)]
    assert refused.status == "refused" and "保密法" in (refused.reason or "")
    assert types(uow)[3:] == ["exchange.request-submitted"]
    with pytest.raises(Problem) as own:
        await submit(uow, GATED, at, unit=PROVIDER)
    assert own.value.status == 422 and len(uow.rows.requests) == 2


async def test_an_unconditional_share_whose_interface_needs_control_parameters_is_reviewed() -> None:
    uow, at = hub(), sh(2019, 8, 5, 9)
    controlled = build_resource_code("450000", PROVIDER, 4)
    uow.rows.publish(controlled, PROVIDER, "unconditional", control_parameters=True)
    req = uow.rows.requests[await submit(uow, controlled, at)]
    assert req.status == "submitted" and req.review_due is not None and req.activated_at is None
    assert types(uow) == ["exchange.request-submitted"]  # nothing granted: the bureau reviews it first


async def test_a_conditional_request_goes_through_review_decision_and_reply() -> None:
    uow = hub()
    rid = await submit(uow, GATED, sh(2019, 8, 5, 9))
    await handlers.review_request(c.ReviewRequest(actor=BUREAU, request_id=rid, passed=True, reason=None,
                                                  at=sh(2019, 8, 6, 9)), uow)
    before = list(uow.committed_events), uow.rows.requests[rid]
    for wrong in (c.DecideRequest(actor=dept(STRANGER), request_id=rid, approve=True, reason=None, at=sh(2019, 8, 7)),
                  c.DecideRequest(actor=dept(PROVIDER), request_id=rid, approve=False, reason=" ", at=sh(2019, 8, 7))):
        with pytest.raises(Problem) as refused:
            await handlers.decide_request(wrong, uow)
        assert refused.value.status in (403, 422)
    assert (list(uow.committed_events), uow.rows.requests[rid]) == before
    decided = await handlers.decide_request(c.DecideRequest(actor=dept(PROVIDER), request_id=rid, approve=True,
                                                            reason=None, at=sh(2019, 8, 7, 9)), uow)
    assert decided.reply_due is not None
    replied = await handlers.reply_request(c.ReplyRequest(actor=BUREAU, request_id=rid, at=sh(2019, 8, 8, 9)), uow)
    assert replied.status == "active"
    assert types(uow) == ["exchange.request-submitted", "exchange.request-forwarded", "exchange.request-approved"]
    approved = uow.committed_events[-1]
    assert approved.occurred_at == sh(2019, 8, 7, 9) and approved.data.forwarded_at == sh(2019, 8, 6, 9)  # type: ignore[attr-defined]


async def test_an_undecided_request_is_overdue_once_at_its_deadline() -> None:
    uow = hub()
    rid = await submit(uow, GATED, sh(2019, 8, 5, 9))
    forwarded = await handlers.review_request(c.ReviewRequest(actor=BUREAU, request_id=rid, passed=True, reason=None,
                                                              at=sh(2019, 8, 6, 9)), uow)
    assert forwarded.provider_due is not None
    assert await handlers.flag_overdue(forwarded.provider_due - timedelta(seconds=1), uow) == 0
    assert await handlers.flag_overdue(forwarded.provider_due + timedelta(days=3), uow) == 1
    assert await handlers.flag_overdue(forwarded.provider_due + timedelta(days=4), uow) == 0
    overdue = uow.committed_events[-1]
    assert overdue.type == "exchange.request-overdue" and overdue.occurred_at == forwarded.provider_due


@pytest.mark.parametrize(("days", "due"), [(None, sh(2019, 8, 10, 0)), (5, sh(2019, 8, 14, 0))])
async def test_the_providers_deadline_is_the_hubs_setting(days: int | None, due: datetime) -> None:
    """Seed 003 says 5 working days, the scoring table 3 (B1.9): the default is the table's, a setting changes it.
    Forwarded Tuesday 2019-08-06: 3 working days end with Friday the 9th (24:00), 5 with Tuesday the 13th."""
    uow = hub()
    rid = await submit(uow, GATED, sh(2019, 8, 5, 9))
    extra = {} if days is None else {"decision_days": {"government": days, "supervision": 5}}
    forwarded = await handlers.review_request(c.ReviewRequest(actor=BUREAU, request_id=rid, passed=True, reason=None,
                                                              at=sh(2019, 8, 6, 9), **extra), uow)
    assert forwarded.provider_due == due


async def test_a_receiver_reports_whenever_it_finds_a_problem_and_an_upheld_answer_is_a_fact_once() -> None:
    uow = hub()
    with pytest.raises(Problem) as stranger:
        await handlers.raise_dispute(c.RaiseDispute(actor=dept(STRANGER), resource_code=OPEN, description="缺失",
                                                    at=sh(2019, 8, 5, 10)), uow)
    assert stranger.value.status == 403
    await submit(uow, OPEN, sh(2019, 8, 5, 9))
    # Weeks after receiving the data: still its right (seed 003 §22(五) counts from finding the problem)
    raised = await handlers.raise_dispute(c.RaiseDispute(
        actor=dept(CONSUMER), resource_code=OPEN, description="信息项缺失", at=sh(2019, 8, 20, 10),
        found_at=sh(2019, 8, 19, 15), records=("91450100MA5K", "91450100MA5L")), uow)
    assert raised["reported_late"] is False and raised["answer_due"] == sh(2019, 8, 24)  # Tue 20th + 3 working days
    stored = uow.rows.disputes[raised["id"]]
    assert stored["records"] == ["91450100MA5K", "91450100MA5L"] and stored["found_at"] == sh(2019, 8, 19, 15)
    # Found on Thursday 15th, reported on Tuesday 20th: 2 working days (16th, 19th) had passed, so it is late
    late = await handlers.raise_dispute(c.RaiseDispute(actor=dept(CONSUMER), resource_code=OPEN, description="x",
                                                       at=sh(2019, 8, 20, 10), found_at=sh(2019, 8, 15, 9)), uow)
    assert late["reported_late"] is True
    with pytest.raises(Problem) as future:
        await handlers.raise_dispute(c.RaiseDispute(actor=dept(CONSUMER), resource_code=OPEN, description="x",
                                                    at=sh(2019, 8, 20, 10), found_at=sh(2019, 8, 21)), uow)
    assert future.value.status == 422 and len(uow.rows.disputes) == 2

    with pytest.raises(Problem) as not_theirs:
        await handlers.answer_dispute(c.AnswerDispute(actor=dept(CONSUMER), dispute_id=raised["id"], upheld=False,
                                                      answer="?", at=sh(2019, 8, 21)), uow)
    assert not_theirs.value.status == 403
    with pytest.raises(Problem) as uncorrected:
        await handlers.answer_dispute(c.AnswerDispute(actor=dept(PROVIDER), dispute_id=raised["id"], upheld=True,
                                                      answer="属实", at=sh(2019, 8, 21)), uow)
    assert uncorrected.value.status == 422 and "correction" in uncorrected.value.detail
    answer = c.AnswerDispute(actor=dept(PROVIDER), dispute_id=raised["id"], upheld=True, answer="属实",
                             at=sh(2019, 8, 21, 10), correction="已于 8 月 21 日更新资源数据（第 2019-08-21 批）")
    assert (await handlers.answer_dispute(answer, uow))["status"] == "upheld"
    assert uow.rows.disputes[raised["id"]]["correction"].startswith("已于")
    with pytest.raises(Problem) as twice:
        await handlers.answer_dispute(answer, uow)
    assert twice.value.status == 409
    assert types(uow).count("exchange.dispute-upheld") == 1


async def test_a_dispute_left_unanswered_past_its_three_working_days_is_overdue_once() -> None:
    uow = hub()
    await submit(uow, OPEN, sh(2019, 8, 5, 9))
    raised = await handlers.raise_dispute(c.RaiseDispute(actor=dept(CONSUMER), resource_code=OPEN,
                                                         description="数据不准确", at=sh(2019, 8, 6, 10)), uow)
    assert await handlers.flag_overdue_disputes(sh(2019, 8, 9, 23), uow) == 0  # due at the end of Fri 9th
    assert await handlers.flag_overdue_disputes(sh(2019, 8, 10, 0), uow) == 1
    assert await handlers.flag_overdue_disputes(sh(2019, 8, 12, 9), uow) == 0  # once
    event = uow.committed_events[-1]
    assert event.type == "exchange.dispute-overdue" and event.unit == PROVIDER and event.occurred_at == sh(2019, 8, 10)
    assert event.data.dispute_id == raised["id"] and event.data.consumer_unit == CONSUMER  # type: ignore[attr-defined]
    late = await handlers.answer_dispute(c.AnswerDispute(actor=dept(PROVIDER), dispute_id=raised["id"],
                                                         upheld=False, answer="核实无误", at=sh(2019, 8, 12)), uow)
    assert late == {"id": raised["id"], "status": "dismissed", "late": True}


async def test_a_data_use_needs_a_subscription() -> None:
    uow = hub()
    use = c.RecordDataUse(actor=dept(CONSUMER), resource_code=OPEN, purpose="high_frequency", note=None,
                          at=sh(2019, 8, 6))
    with pytest.raises(Problem) as unsubscribed:
        await handlers.record_data_use(use, uow)
    assert unsubscribed.value.status == 403 and not uow.rows.uses and not uow.committed_events
    await submit(uow, OPEN, sh(2019, 8, 5, 9))
    await handlers.record_data_use(use, uow)
    used = uow.committed_events[-1]
    assert used.type == "exchange.data-used" and used.unit == CONSUMER


async def test_reported_calls_are_recorded_once_and_each_new_failure_is_a_fact_once() -> None:
    uow = hub()

    def call(call_id: str, code: str = OPEN, error: str | None = "timeout") -> c.ReportedCall:
        return c.ReportedCall(call_id=call_id, consumer=CONSUMER, resource_code=code, started_at=sh(2019, 8, 6, 9),
                              ended_at=sh(2019, 8, 6, 9, 0, 5), status_code=None, request_bytes=10,
                              response_bytes=0, error=error)

    with pytest.raises(Problem) as foreign:  # a department reports calls of its own resources only
        await handlers.report_calls(c.ReportCalls(actor=dept(STRANGER), calls=(call("x"),)), uow)
    assert foreign.value.status == 422 and not uow.rows.calls
    batch = c.ReportCalls(actor=dept(PROVIDER), calls=(call("a"), call("a"), call("b", error=None), call("c")))
    assert await handlers.report_calls(batch, uow) == {"recorded": 3, "duplicates": 1, "failures": 2}
    assert await handlers.report_calls(batch, uow) == {"recorded": 0, "duplicates": 4, "failures": 0}
    assert types(uow) == ["exchange.call-failed"] * 2
    assert {e.unit for e in uow.committed_events} == {PROVIDER}


async def test_an_endpoint_is_the_providers_and_must_pass_the_egress_check() -> None:
    uow = hub()

    async def refuse(url: str) -> None:
        raise Problem(422, "Invalid request", f"base_url: {url} is private", kind="invalid-request")

    async def allow(url: str) -> None:
        return None

    cmd = c.SetEndpoint(actor=dept(STRANGER), resource_code=OPEN, base_url="https://x.example", timeout_ms=1000)
    with pytest.raises(Problem) as foreign:
        await handlers.set_endpoint(cmd, uow, allow)
    assert foreign.value.status == 403
    own = c.SetEndpoint(actor=dept(PROVIDER), resource_code=OPEN, base_url="http://10.0.0.1", timeout_ms=1000)
    with pytest.raises(Problem):
        await handlers.set_endpoint(own, uow, refuse)
    assert not uow.rows.endpoints
    await handlers.set_endpoint(own, uow, allow)
    assert uow.rows.endpoints == {OPEN: ("http://10.0.0.1", 1000)}


async def test_another_units_secret_resource_does_not_exist_for_it() -> None:
    uow = hub()
    uow.rows.resources[SECRET]["secret"] = True  # 涉密 (seed 003 §5.1.2): not shared, and not shown
    with pytest.raises(Problem) as unknown:
        await handlers.submit_request(c.SubmitRequest(dept(CONSUMER), CONSUMER, SECRET, "核验", sh(2019, 8, 5, 9)),
                                      uow)
    assert unknown.value.status == 404 and not uow.committed_events
