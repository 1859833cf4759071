"""The review use cases: a unit submits, the bureau approves or returns, the clock publishes what ended its
public notice and flags what the bureau left undecided (domain/reviews.py has the rules)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from contracts.catalog import ReviewDecided, ReviewOverdue
from hubkit.auth import Role
from hubkit.problems import conflict, not_found

from catalog.domain import events
from catalog.domain import reviews as flow
from catalog.domain.resources import Resource, changed_fields
from catalog.service import commands as c
from catalog.service import steps
from catalog.service.ports import CatalogUnitOfWork


async def submit(cmd: c.SubmitResource, uow: CatalogUnitOfWork) -> Resource:
    """Submit a draft, or a returned resource once fixed, for publication (the bureau's review)."""
    async with uow:
        resource = await steps.owned(uow, cmd.code, cmd.actor)
        try:
            review = flow.submit_publication(steps.new_review_id(), resource, cmd.at, cmd.review_days)
        except flow.ReviewRefused as exc:
            raise steps.refused(exc) from None
        await steps.submit(uow, review, resource.provider)
        after = await steps.reread(uow, cmd.code)
        await uow.commit()
    return after


async def _apply_approval(uow: CatalogUnitOfWork, resource: Resource, review: flow.Review) -> None:
    at = review.decided_at
    assert at is not None
    if review.subject == "change":
        version = resource.version + 1
        await uow.resources.add_version(resource.code, version, review.metadata,
                                        changed_fields(resource.metadata, review.metadata), at)
        updated = resource.model_copy(update={"metadata": review.metadata, "version": version})
        unit = await uow.units.get(resource.provider)
        uow.emit(events.metadata_changed(updated, unit.name if unit else None), unit=resource.provider, at=at)
    elif review.notice_until is not None:
        await uow.resources.set_status(resource.code, "in_notice")
    else:
        await steps.publish(uow, resource, at)


async def decide(cmd: c.DecideReview, uow: CatalogUnitOfWork) -> Resource:
    """The bureau approves or returns the resource's submission; a return during the notice withdraws it."""
    cmd.actor.require(Role.operator)
    async with uow:
        resource = await uow.resources.get(cmd.code, for_update=True)
        if resource is None:
            raise not_found("resource", cmd.code)
        review = await uow.reviews.latest(cmd.code)
        if review is None:
            raise conflict(f"status: {cmd.code} was never submitted for review; its unit submits it first")
        try:
            if cmd.decision == "approve":
                if cmd.reasons:
                    raise flow.ReviewRefused("reasons: an approval has none; return the submission instead",
                                             status=422)
                days = cmd.notice_days
                if days is None:  # the public notice is for new resources; a change takes effect when approved
                    days = cmd.default_notice_days if review.subject == "publication" else 0
                decided, outcome = flow.approve(review, resource.status, days, cmd.at), "approved"
            else:
                decided, outcome = flow.return_(review, resource.status, list(cmd.reasons), cmd.at), "returned"
        except flow.ReviewRefused as exc:
            raise steps.refused(exc) from None
        await uow.reviews.save(decided)
        uow.emit(ReviewDecided(resource_code=cmd.code, review_id=decided.id, subject=decided.subject,
                               decision=outcome, reasons=list(decided.reasons),
                               notice_until=decided.notice_until), unit=resource.provider, at=cmd.at)
        if outcome == "approved":
            await _apply_approval(uow, resource, decided)
        elif decided.subject == "publication":
            await uow.resources.set_status(cmd.code, "returned")  # a returned change leaves the resource as it is
        after = await steps.reread(uow, cmd.code)
        await uow.commit()
    return after


async def pass_clock(now: datetime, uow: CatalogUnitOfWork) -> tuple[int, int]:
    """Flag the reviews whose deadline passed (event time: the deadline) and publish the resources whose notice
    ended (event time: the notice's end), once each. Returns (flagged, published)."""
    async with uow:
        late = [r for r in await uow.reviews.due_overdue(now) if flow.overdue(r, now)]
        for r in late:
            await uow.reviews.save(replace(r, overdue_at=r.due))
            resource = await uow.resources.get(r.code)
            assert resource is not None
            uow.emit(ReviewOverdue(resource_code=r.code, review_id=r.id, due=r.due), unit=resource.provider,
                     at=r.due)
        published = 0
        for r in await uow.reviews.notices_ended(now):
            resource = await uow.resources.get(r.code, for_update=True)
            assert resource is not None and r.notice_until is not None
            if flow.notice_ended(r, resource.status, now):
                await steps.publish(uow, resource, r.notice_until)
                published += 1
        await uow.commit()
    return len(late), published
