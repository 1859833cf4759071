"""Steps several catalog use cases share, inside their unit of work: find the resource a unit may change,
read it back, submit it for review, publish it."""

from __future__ import annotations

import uuid
from datetime import datetime

from contracts.catalog import ReviewSubmitted
from contracts.workdays import SHANGHAI
from hubkit.auth import Principal
from hubkit.problems import Problem, not_found

from catalog.domain import events
from catalog.domain import reviews as flow
from catalog.domain.resources import Resource
from catalog.service.ports import CatalogUnitOfWork


def refused(exc: flow.ReviewRefused) -> Problem:
    kind = "invalid-request" if exc.status == 422 else "conflict"
    return Problem(exc.status, "Invalid request" if exc.status == 422 else "Conflict", str(exc), kind=kind)


async def owned(uow: CatalogUnitOfWork, code: str, actor: Principal) -> Resource:
    """The resource, locked for the change; a department may change its own only."""
    resource = await uow.resources.get(code, for_update=True)
    if resource is None:
        raise not_found("resource", code)
    actor.ensure_unit(resource.provider)
    return resource


async def reread(uow: CatalogUnitOfWork, code: str) -> Resource:
    after = await uow.resources.get(code)
    assert after is not None
    return after


def new_review_id() -> str:
    return f"rv-{uuid.uuid4().hex[:16]}"


async def submit(uow: CatalogUnitOfWork, review: flow.Review, provider: str) -> None:
    """Record a submission and say it; a publication freezes the resource until the bureau decides."""
    await uow.reviews.add(review)
    if review.subject == "publication":
        await uow.resources.set_status(review.code, "submitted")
    uow.emit(ReviewSubmitted(resource_code=review.code, review_id=review.id, subject=review.subject,
                             due=review.due, changed=list(review.changed)), unit=provider, at=review.submitted_at)


async def publish(uow: CatalogUnitOfWork, resource: Resource, at: datetime) -> None:
    """Enter the published catalog at `at` (its publish date that day unless the metadata names one)."""
    metadata = resource.metadata
    if metadata.publish_date is None:
        metadata = metadata.model_copy(update={"publish_date": at.astimezone(SHANGHAI).date()})
    await uow.resources.publish(resource.code, metadata, at)
    unit = await uow.units.get(resource.provider)
    now_public = resource.model_copy(update={"metadata": metadata})
    uow.emit(events.published(now_public, unit.name if unit else None), unit=resource.provider, at=at)
