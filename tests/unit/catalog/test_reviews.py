"""The bureau's review of the catalog on an in-memory unit of work: submit, return with reasons per field, fix
and resubmit, approve with a public notice, published when the notice ends, overdue once; every refusal
changes nothing and says nothing. No database, no broker."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from catalog.service import commands as c
from catalog.service import handlers, reviews
from contracts.catalog import ReviewReason
from hubkit.auth import Principal
from hubkit.problems import Problem

from .fakes import FakeCatalogUnitOfWork
from .test_handlers import DEPARTMENT, META, OPERATOR, UNIT, draft, registered, types

SH = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2019, 9, 2, 10, 0, tzinfo=SH)  # a working week without holidays until 13 September
BASIS = ReviewReason(field="share_basis", reason="不予共享须注明法律法规依据")


def decision(decision: str, *, at: datetime, notice_days: int = 0, reasons: tuple[ReviewReason, ...] = (),
             actor: Principal = OPERATOR, code: str = "") -> c.DecideReview:
    return c.DecideReview(actor=actor, code=code, decision=decision,  # type: ignore[arg-type]
                          reasons=reasons, notice_days=notice_days, at=at)


async def submitted(uow: FakeCatalogUnitOfWork) -> str:
    await registered(uow, UNIT)
    code = await draft(uow)
    await reviews.submit(c.SubmitResource(actor=DEPARTMENT, code=code, at=MONDAY), uow)
    return code


def state(uow: FakeCatalogUnitOfWork) -> object:
    return dict(uow.resources.rows), dict(uow.reviews.rows), list(uow.committed_events)


async def test_returned_fixed_resubmitted_approved_with_notice_then_published_when_the_notice_ends() -> None:
    uow = FakeCatalogUnitOfWork()
    code = await submitted(uow)
    assert uow.resources.rows[code].status == "submitted"
    first = uow.committed_events[-1]
    assert first.type == "catalog.review-submitted" and first.unit == UNIT
    assert first.data.due == datetime(2019, 9, 10, tzinfo=SH)  # type: ignore[attr-defined]  # 5 working days

    returned = await reviews.decide(decision("return", at=MONDAY + timedelta(hours=1), reasons=(BASIS,), code=code),
                                    uow)
    assert returned.status == "returned"
    said = uow.committed_events[-1]
    assert said.type == "catalog.review-decided" and said.data.reasons == [BASIS]  # type: ignore[attr-defined]
    with pytest.raises(Problem) as unsubmitted:  # a returned resource is not published without resubmission
        await reviews.decide(decision("approve", at=MONDAY + timedelta(hours=2), code=code), uow)
    assert unsubmitted.value.status == 409

    fixed = META.model_copy(update={"summary": "企业登记基本信息"})
    await handlers.change_metadata(c.ChangeMetadata(actor=DEPARTMENT, code=code, metadata=fixed, at=MONDAY), uow)
    assert uow.resources.rows[code].status == "returned"  # edited in place, still to be resubmitted
    await reviews.submit(c.SubmitResource(actor=DEPARTMENT, code=code, at=MONDAY + timedelta(hours=3)), uow)
    approved_at = MONDAY + timedelta(hours=4)
    noticed = await reviews.decide(decision("approve", at=approved_at, notice_days=2, code=code), uow)
    notice_until = datetime(2019, 9, 5, tzinfo=SH)  # 24:00 of Wednesday, the second working day after Monday
    assert noticed.status == "in_notice"
    assert uow.committed_events[-1].data.notice_until == notice_until  # type: ignore[attr-defined]
    assert "catalog.resource-published" not in types(uow)

    assert await reviews.pass_clock(notice_until - timedelta(seconds=1), uow) == (0, 0)
    assert await reviews.pass_clock(notice_until + timedelta(days=1), uow) == (0, 1)
    assert await reviews.pass_clock(notice_until + timedelta(days=2), uow) == (0, 0)  # once
    published = uow.committed_events[-1]
    assert published.type == "catalog.resource-published" and published.occurred_at == notice_until
    assert published.data.summary == "企业登记基本信息"  # type: ignore[attr-defined]  # what was approved
    assert uow.resources.rows[code].status == "published"


async def test_a_return_during_the_notice_withdraws_the_publication() -> None:
    uow = FakeCatalogUnitOfWork()
    code = await submitted(uow)
    await reviews.decide(decision("approve", at=MONDAY, notice_days=3, code=code), uow)
    withdrawn = await reviews.decide(decision("return", at=MONDAY + timedelta(days=1), reasons=(BASIS,), code=code),
                                     uow)
    assert withdrawn.status == "returned"
    assert await reviews.pass_clock(MONDAY + timedelta(days=30), uow) == (0, 0)
    assert "catalog.resource-published" not in types(uow)


@pytest.mark.parametrize(("command", "status"), [
    (decision("return", at=MONDAY), 422),  # no reasons
    (decision("return", at=MONDAY, reasons=(ReviewReason(field="colour", reason="x"),)), 422),  # not a field
    (decision("return", at=MONDAY, reasons=(ReviewReason(field="items.x", reason="x"),)), 422),
    (decision("return", at=MONDAY, reasons=(ReviewReason(field="summary", reason="  "),)), 422),
    (decision("approve", at=MONDAY, reasons=(BASIS,)), 422),  # an approval has no reasons
    (decision("approve", at=MONDAY - timedelta(minutes=1)), 422),  # before the submission
    (decision("approve", at=MONDAY, notice_days=31), 422),
    (decision("approve", at=MONDAY, actor=DEPARTMENT), 403),  # a unit does not review itself
])
async def test_a_refused_decision_changes_nothing_and_says_nothing(command: c.DecideReview, status: int) -> None:
    uow = FakeCatalogUnitOfWork()
    code = await submitted(uow)
    before = state(uow)
    with pytest.raises(Problem) as refused:
        await reviews.decide(c.DecideReview(**{**command.__dict__, "code": code}), uow)
    assert refused.value.status == status
    assert state(uow) == before


async def test_a_resource_under_review_is_frozen_and_a_draft_is_not_decided() -> None:
    uow = FakeCatalogUnitOfWork()
    code = await submitted(uow)
    before = state(uow)
    with pytest.raises(Problem) as frozen:
        await handlers.change_metadata(c.ChangeMetadata(actor=DEPARTMENT, code=code, metadata=META.model_copy(
            update={"summary": "改"}), at=MONDAY), uow)
    assert frozen.value.status == 409
    with pytest.raises(Problem) as twice:
        await reviews.submit(c.SubmitResource(actor=DEPARTMENT, code=code, at=MONDAY), uow)
    assert twice.value.status == 409
    other = await draft(uow)
    with pytest.raises(Problem) as never:
        await reviews.decide(decision("approve", at=MONDAY, code=other), uow)
    assert never.value.status == 409 and "never submitted" in never.value.detail
    assert state(uow)[1:] == before[1:]


async def test_a_decision_stands_once_taken_except_a_return_during_the_notice() -> None:
    uow = FakeCatalogUnitOfWork()
    code = await submitted(uow)
    await reviews.decide(decision("return", at=MONDAY, reasons=(BASIS,), code=code), uow)
    published = await draft(uow)
    await reviews.submit(c.SubmitResource(actor=DEPARTMENT, code=published, at=MONDAY), uow)
    await reviews.decide(decision("approve", at=MONDAY, code=published), uow)
    before = state(uow)
    for target in (code, published):  # returned again; a published resource "returned"
        with pytest.raises(Problem) as stands:
            await reviews.decide(decision("return", at=MONDAY, reasons=(BASIS,), code=target), uow)
        assert stands.value.status == 409 and "submit again" in stands.value.detail
    assert state(uow) == before


async def test_an_undecided_submission_is_overdue_once_at_its_deadline() -> None:
    uow = FakeCatalogUnitOfWork()
    code = await submitted(uow)
    due = datetime(2019, 9, 10, tzinfo=SH)
    assert await reviews.pass_clock(due - timedelta(seconds=1), uow) == (0, 0)
    assert await reviews.pass_clock(due + timedelta(hours=5), uow) == (1, 0)
    assert await reviews.pass_clock(due + timedelta(days=3), uow) == (0, 0)
    late = uow.committed_events[-1]
    assert late.type == "catalog.review-overdue" and late.occurred_at == due and late.unit == UNIT
    await reviews.decide(decision("approve", at=due + timedelta(days=4), code=code), uow)  # still decidable
    assert uow.resources.rows[code].status == "published"


async def test_a_change_to_a_published_resource_waits_for_approval_and_a_return_drops_it() -> None:
    uow = FakeCatalogUnitOfWork()
    code = await submitted(uow)
    await reviews.decide(decision("approve", at=MONDAY, code=code), uow)
    current = uow.resources.rows[code].metadata
    change = c.ChangeMetadata(actor=DEPARTMENT, code=code, metadata=current.model_copy(
        update={"share_type": "not_shared", "share_basis": "依据", "publish_date": None}), at=MONDAY)
    await handlers.change_metadata(change, uow)
    assert uow.committed_events[-1].data.changed == ["share_basis", "share_type"]  # type: ignore[attr-defined]
    with pytest.raises(Problem) as pending:  # one change at a time
        await handlers.change_metadata(c.ChangeMetadata(actor=DEPARTMENT, code=code, metadata=current.model_copy(
            update={"summary": "另一处修改"}), at=MONDAY), uow)
    assert pending.value.status == 409
    with pytest.raises(Problem) as noticed:  # a change has no public notice
        await reviews.decide(decision("approve", at=MONDAY, notice_days=2, code=code), uow)
    assert noticed.value.status == 422
    kept = await reviews.decide(decision("return", at=MONDAY, reasons=(BASIS,), code=code), uow)
    assert (kept.status, kept.version, kept.metadata.share_type) == ("published", 1, "unconditional")
    assert "catalog.resource-metadata-changed" not in types(uow)
    await handlers.change_metadata(change, uow)  # submitted again, approved: a new version and its event
    after = await reviews.decide(decision("approve", at=MONDAY + timedelta(hours=1), code=code), uow)
    assert (after.version, after.metadata.share_type) == (2, "not_shared")
    assert after.metadata.publish_date == current.publish_date is not None  # the change left it out: kept
    assert types(uow)[-1] == "catalog.resource-metadata-changed"

