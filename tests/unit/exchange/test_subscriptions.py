"""#17 part 3: a subscription's life on an in-memory unit of work. The term an approval grants, expiry once at
the instant the term ended, renewal (from the end of the term, or from now once it passed), revocation and
suspension with reasons by those who may, and what the gateway is told. No database, no broker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from exchange.domain.requests import Terms
from exchange.domain.subscriptions import standing_of
from exchange.service import commands as c
from exchange.service import handlers
from exchange.service import subscriptions as life
from exchange.storage.quota import windows
from hubkit.problems import Problem

from .fakes import FakeExchangeUnitOfWork
from .test_handlers import BUREAU, CONSUMER, GATED, OPEN, PROVIDER, STRANGER, dept, hub, sh, submit

AT = sh(2019, 8, 5, 9)


async def granted(uow: FakeExchangeUnitOfWork, days: int | None = 30) -> str:
    """A conditional request reviewed, approved for `days` on Mon 5 Aug, replied to on Tue 6 Aug at 10:00."""
    rid = await submit(uow, GATED, AT)
    await handlers.review_request(c.ReviewRequest(actor=BUREAU, request_id=rid, passed=True, reason=None, at=AT), uow)
    await handlers.decide_request(c.DecideRequest(actor=dept(PROVIDER), request_id=rid, approve=True, reason=None,
                                                  at=AT, terms=Terms(days, 60, 1000)), uow)
    await handlers.reply_request(c.ReplyRequest(actor=BUREAU, request_id=rid, at=sh(2019, 8, 6, 10)), uow)
    return rid


async def step(uow: FakeExchangeUnitOfWork, who: object, rid: str, action: str, at: object = None,
               **fields: object) -> object:
    return await life.change(c.ChangeSubscription(actor=who, request_id=rid, action=action,  # type: ignore[arg-type]
                                                  at=at or sh(2019, 8, 7, 9), **fields), uow)  # type: ignore[arg-type]


def changes(uow: FakeExchangeUnitOfWork) -> list[tuple[str, str, object]]:
    return [(e.data.change, e.data.by, e.occurred_at) for e in uow.committed_events  # type: ignore[attr-defined]
            if e.type == "exchange.subscription-changed"]


async def test_an_approval_grants_its_term_and_quota_from_the_reply_that_activates_it() -> None:
    uow = hub()
    sub = uow.rows.requests[await granted(uow)]
    assert sub.status == "active" and sub.expires_at == sh(2019, 9, 5, 10)  # 30 days from the reply
    assert (sub.quota_per_minute, sub.quota_per_day) == (60, 1000)
    assert standing_of(sub).usable(sh(2019, 9, 5, 9, 59)) and not standing_of(sub).usable(sh(2019, 9, 5, 10))
    assert "expired" in standing_of(sub).why_not(sh(2019, 9, 5, 10))
    # An unconditional share granted at once has no term: the provider's standing authorisation.
    at_once = uow.rows.requests[await _open(uow)]
    assert at_once.expires_at is None and at_once.quota_per_minute == 10


async def _open(uow: FakeExchangeUnitOfWork) -> str:
    req = await handlers.submit_request(c.SubmitRequest(actor=dept(CONSUMER), requester=CONSUMER, resource_code=OPEN,
                                                        purpose="核验", at=AT, terms=Terms(None, 10, 100)), uow)
    return req.id


async def test_a_term_that_ends_expires_once_at_its_end_and_renewal_restores_it() -> None:
    uow = hub()
    rid = await granted(uow)
    assert await life.expire(sh(2019, 9, 5, 9, 59), uow) == 0
    assert await life.expire(sh(2019, 9, 9, 8), uow) == 1  # noticed days later: the event says when it ended
    assert await life.expire(sh(2019, 9, 10), uow) == 0
    assert changes(uow) == [("expired", "clock", sh(2019, 9, 5, 10))]
    expired = uow.rows.requests[rid]
    assert expired.status == "expired" and expired.ended_by == "clock"

    # The consumer asks; only the provider (or the bureau) renews; from now, since the term has passed.
    with pytest.raises(Problem) as not_theirs:
        await step(uow, dept(PROVIDER), rid, "ask-renewal")
    assert not_theirs.value.status == 403
    asked = await step(uow, dept(CONSUMER), rid, "ask-renewal", sh(2019, 9, 9, 9))
    assert asked.renewal_asked_at == sh(2019, 9, 9, 9)  # type: ignore[attr-defined]
    with pytest.raises(Problem) as consumer_renews:
        await step(uow, dept(CONSUMER), rid, "renew", valid_days=30)
    assert consumer_renews.value.status == 403
    renewed = await step(uow, dept(PROVIDER), rid, "renew", sh(2019, 9, 9, 10), valid_days=10)
    assert renewed.status == "active" and renewed.expires_at == sh(2019, 9, 19, 10)  # type: ignore[attr-defined]
    assert renewed.renewal_asked_at is None  # type: ignore[attr-defined]
    # Renewed again before it ends: the new term follows the current one.
    again = await step(uow, BUREAU, rid, "renew", sh(2019, 9, 10, 10), valid_days=5)
    assert again.expires_at == sh(2019, 9, 24, 10)  # type: ignore[attr-defined]
    assert [(ch, by) for ch, by, _ in changes(uow)] == [("expired", "clock"), ("renewed", "provider"),
                                                       ("renewed", "bureau")]


async def test_revocation_and_suspension_need_a_reason_and_the_right_party() -> None:
    uow = hub()
    rid = await granted(uow)
    for who, action, status in ((dept(STRANGER), "revoke", 404), (dept(CONSUMER), "revoke", 403),
                                (dept(PROVIDER), "suspend", 403), (BUREAU, "resume", 409)):
        with pytest.raises(Problem) as refused:
            await step(uow, who, rid, action, reason="滥用")
        assert refused.value.status == status, (who, action)
    with pytest.raises(Problem) as no_reason:
        await step(uow, BUREAU, rid, "suspend", reason="  ")
    assert no_reason.value.status == 422 and "reason" in no_reason.value.detail
    assert uow.rows.requests[rid].status == "active" and changes(uow) == []  # refusals changed nothing

    suspended = await step(uow, BUREAU, rid, "suspend", reason="夜间批量抓取")
    assert "suspended: 夜间批量抓取" in standing_of(suspended).why_not(sh(2019, 8, 7, 9))  # type: ignore[arg-type]
    resumed = await step(uow, BUREAU, rid, "resume")
    assert standing_of(resumed).usable(sh(2019, 8, 7, 9))  # type: ignore[arg-type]
    revoked = await step(uow, dept(PROVIDER), rid, "revoke", reason="共享依据已废止")
    assert "revoked by the provider: 共享依据已废止" in standing_of(revoked).why_not(sh(2019, 8, 7, 9))  # type: ignore[arg-type]
    with pytest.raises(Problem) as final:
        await step(uow, BUREAU, rid, "renew", valid_days=30)
    assert final.value.status == 409  # revoked for good: a new request is needed
    assert [(ch, by) for ch, by, _ in changes(uow)] == [("suspended", "bureau"), ("resumed", "bureau"),
                                                       ("revoked", "provider")]
    assert all(e.unit == CONSUMER for e in uow.committed_events if e.type == "exchange.subscription-changed")


async def test_a_quota_change_is_no_event_and_a_request_never_granted_is_no_subscription() -> None:
    uow = hub()
    rid = await granted(uow)
    changed = await step(uow, dept(PROVIDER), rid, "quota", per_minute=5, per_day=None)
    assert (changed.quota_per_minute, changed.quota_per_day) == (5, None)  # type: ignore[attr-defined]
    assert changes(uow) == []
    pending = await submit(uow, GATED, AT)
    with pytest.raises(Problem) as missing:
        await step(uow, BUREAU, pending, "revoke", reason="x")
    assert missing.value.status == 404


def test_quota_windows_are_the_minute_and_the_shanghai_day() -> None:
    spans = windows(sh(2019, 8, 5, 23, 59, 30))
    assert spans["minute"] == (sh(2019, 8, 5, 23, 59), sh(2019, 8, 6, 0, 0))
    assert spans["day"] == (sh(2019, 8, 5), sh(2019, 8, 6))
    assert spans["day"][1] - spans["day"][0] == timedelta(days=1)
