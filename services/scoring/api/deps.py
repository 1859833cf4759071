"""What the scoring routers read: the live projector, the ruleset and the pool."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from fastapi import Request
from hubkit.deps import now as now
from hubkit.deps import pool as pool
from hubkit.problems import Problem

from scoring.domain.clock import month_of, parse_month
from scoring.domain.inventory import InventoryRules
from scoring.domain.ruleset import Ruleset
from scoring.domain.submissions import Requirements
from scoring.messaging.projector import LiveProjector
from scoring.service.ports import ScoringUnitOfWork
from scoring.storage.uow import PgScoringUnitOfWork
from scoring.views import LiveView


def projector(request: Request) -> LiveProjector:
    return request.app.state.projector


def ruleset(request: Request) -> Ruleset:
    return request.app.state.ruleset


def requirements(request: Request) -> Requirements:
    return request.app.state.requirements


def inventory_rules(request: Request) -> InventoryRules:
    return request.app.state.inventory_rules


def month_or_current(request: Request, month: str | None) -> str:
    if month is not None:
        try:
            parse_month(month)
        except ValueError as exc:
            raise Problem(422, "Invalid request", f"month: {exc}", kind="invalid-request") from None
        return month
    wm = projector(request).projection.watermark
    if wm is None:
        raise Problem(404, "Not found", "no event has been scored yet, so there is no current month",
                      kind="not-found")
    return month_of(wm)


def aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise Problem(422, "Invalid request", f"{field}: an instant needs an offset, e.g. 2019-08-31T24:00+08:00",
                      kind="invalid-request")
    return value


def uow(request: Request) -> ScoringUnitOfWork:
    """A fresh unit of work on the service's pool (one per use case)."""
    return PgScoringUnitOfWork(pool(request), "scoring")


def live(request: Request) -> LiveView:
    """The live projection as the API may see it."""
    return LiveView(projector(request), ruleset(request), pool(request))


MAX_FILE_BYTES = 12 * 1024 * 1024  # a submitted or supporting document


def document_bytes(file_base64: str) -> bytes:
    """A document sent as base64 in a JSON body: 422 when it is not base64, 413 when it is too large."""
    try:
        data = base64.b64decode(file_base64, validate=True)
    except (binascii.Error, ValueError):
        raise Problem(422, "Invalid request", "file_base64: not valid base64", kind="invalid-request") from None
    if len(data) > MAX_FILE_BYTES:
        raise Problem(413, "Content too large", f"file: {len(data)} bytes; at most {MAX_FILE_BYTES}")
    return data
