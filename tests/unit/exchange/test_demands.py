"""The demand list and data-use ratings without servers: each step's event once, who may take it, a fulfilled
demand becoming the requester's access request in the same transaction, overdue once at the deadline, and
ratings only from units that held a subscription."""

from __future__ import annotations

from datetime import timedelta

import pytest
from contracts.values import build_resource_code, make_uscc
from exchange.service import commands as c
from exchange.service import demands as use_case
from exchange.service import handlers
from hubkit.problems import Problem

from .fakes import FakeExchangeUnitOfWork
from .test_handlers import BUREAU, dept, sh

NEEDER, HOLDER, OTHER = (make_uscc("450000", m) for m in ("ND000001", "HD000001", "XT000002"))
OPEN = build_resource_code("450000", HOLDER, 1)
GATED = build_resource_code("450000", HOLDER, 2)


def hub() -> FakeExchangeUnitOfWork:
    uow = FakeExchangeUnitOfWork()
    uow.rows.publish(OPEN, HOLDER, "unconditional")
    uow.rows.publish(GATED, HOLDER, "conditional")
    return uow


async def raised(uow: FakeExchangeUnitOfWork) -> str:
    d = await use_case.raise_demand(c.RaiseDemand(dept(NEEDER), "企业水电气缴费记录", "信用评价", HOLDER,
                                                  sh(2019, 8, 5, 9)), uow)
    return d.id


async def assigned(uow: FakeExchangeUnitOfWork, days: int = 10) -> str:
    did = await raised(uow)
    await use_case.assign(c.AssignDemand(BUREAU, did, HOLDER, days, sh(2019, 8, 5, 10)), uow)
    return did


def steps(uow: FakeExchangeUnitOfWork) -> list[tuple[str, str]]:
    return [(e.data.step, e.unit) for e in uow.committed_events if e.type == "exchange.demand-changed"]


async def test_a_fulfilled_demand_becomes_the_requesters_access_request() -> None:
    uow = hub()
    did = await assigned(uow)
    assert uow.demands.demands[did].due == sh(2019, 8, 20, 0)  # 10 working days from Monday the 5th
    for who in (dept(OTHER), dept(NEEDER)):  # only the assigned provider answers
        with pytest.raises(Problem) as refused:
            await use_case.fulfil(c.FulfilDemand(who, did, OPEN, sh(2019, 8, 7, 9)), uow)
        assert refused.value.status == 403
    done = await use_case.fulfil(c.FulfilDemand(dept(HOLDER), did, GATED, sh(2019, 8, 7, 9)), uow)
    assert done.status == "fulfilled" and done.request_id is not None
    req = uow.rows.requests[done.request_id]
    assert (req.requester, req.resource_code, req.status) == (NEEDER, GATED, "submitted")  # to the bureau's review
    assert steps(uow) == [("raised", NEEDER), ("assigned", HOLDER), ("fulfilled", HOLDER)]
    assert [e.type for e in uow.committed_events][-2:] == ["exchange.request-submitted", "exchange.demand-changed"]
    with pytest.raises(Problem) as again:
        await use_case.fulfil(c.FulfilDemand(dept(HOLDER), did, GATED, sh(2019, 8, 7, 10)), uow)
    assert again.value.status == 409


async def test_refusals_and_rejections_need_their_reason_and_change_nothing_otherwise() -> None:
    uow = hub()
    did = await raised(uow)
    for cmd in (c.RejectDemand(BUREAU, did, "  ", sh(2019, 8, 5, 10)),):
        with pytest.raises(Problem) as empty:
            await use_case.reject(cmd, uow)
        assert empty.value.status == 422
    with pytest.raises(Problem) as not_yet:  # a raised demand is the bureau's, not a provider's, to answer
        await use_case.refuse(c.RefuseDemand(dept(HOLDER), did, "依据", sh(2019, 8, 5, 10)), uow)
    assert not_yet.value.status == 403
    with pytest.raises(Problem) as by_dept:
        await use_case.assign(c.AssignDemand(dept(HOLDER), did, HOLDER, 5, sh(2019, 8, 5, 10)), uow)
    assert by_dept.value.status == 403
    with pytest.raises(Problem) as self_assigned:
        await use_case.assign(c.AssignDemand(BUREAU, did, NEEDER, 5, sh(2019, 8, 5, 10)), uow)
    assert self_assigned.value.status == 422
    assert steps(uow) == [("raised", NEEDER)]
    await use_case.assign(c.AssignDemand(BUREAU, did, HOLDER, 5, sh(2019, 8, 5, 10)), uow)
    with pytest.raises(Problem) as no_basis:
        await use_case.refuse(c.RefuseDemand(dept(HOLDER), did, "", sh(2019, 8, 6, 10)), uow)
    assert no_basis.value.status == 422
    done = await use_case.refuse(c.RefuseDemand(dept(HOLDER), did, "《统计法》第九条", sh(2019, 8, 6, 10)), uow)
    assert (done.status, done.reason) == ("refused", "《统计法》第九条")
    assert steps(uow) == [("raised", NEEDER), ("assigned", HOLDER), ("refused", HOLDER)]
    other = await raised(uow)
    await use_case.reject(c.RejectDemand(BUREAU, other, "目录中已有：" + OPEN, sh(2019, 8, 6, 11)), uow)
    assert steps(uow)[-1] == ("rejected", NEEDER)


async def test_an_unanswered_demand_is_overdue_once_at_its_deadline() -> None:
    uow = hub()
    did = await assigned(uow, days=2)
    due = uow.demands.demands[did].due
    assert due == sh(2019, 8, 8, 0)
    assert await use_case.flag_overdue(due - timedelta(seconds=1), uow) == 0
    assert await use_case.flag_overdue(due + timedelta(days=2), uow) == 1
    assert await use_case.flag_overdue(due + timedelta(days=3), uow) == 0
    [late] = [e for e in uow.committed_events if e.type == "exchange.demand-changed" and e.data.step == "overdue"]
    assert (late.unit, late.occurred_at) == (HOLDER, due)
    # Still answerable: the provider may fulfil it late.
    await use_case.fulfil(c.FulfilDemand(dept(HOLDER), did, OPEN, due + timedelta(days=3)), uow)


async def test_ratings_come_from_units_that_held_a_subscription_and_replace_their_earlier_one() -> None:
    uow = hub()

    def rating(who: str, quality: int, code: str = OPEN) -> c.RateResource:
        return c.RateResource(dept(who), code, quality, 4, 5, "字段齐全", sh(2019, 8, 9, 9))

    with pytest.raises(Problem) as never:
        await use_case.rate(rating(NEEDER, 5), uow)
    assert never.value.status == 403
    await handlers.submit_request(c.SubmitRequest(dept(NEEDER), NEEDER, OPEN, "核验", sh(2019, 8, 5, 9)), uow)
    await use_case.rate(rating(NEEDER, 2), uow)
    await use_case.rate(rating(NEEDER, 3), uow)
    assert uow.demands.ratings[(OPEN, NEEDER)]["quality"] == 3 and len(uow.demands.ratings) == 1
    with pytest.raises(Problem) as own:
        await use_case.rate(rating(HOLDER, 5), uow)
    assert own.value.status == 403
    rated = [e for e in uow.committed_events if e.type == "exchange.resource-rated"]
    assert [(e.unit, e.data.provider_unit, e.data.quality) for e in rated] == [(NEEDER, HOLDER, 2), (NEEDER, HOLDER, 3)]
