"""What every catalog route needs: the instant of a write, a unit of work for a use case."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from hubkit import deps
from hubkit.auth import Principal, Role
from hubkit.problems import forbidden

from catalog.service.ports import CatalogUnitOfWork
from catalog.settings import CatalogSettings
from catalog.storage.uow import PgCatalogUnitOfWork

SCHEMA = "catalog"


def write_instant(request: Request, principal: Principal, occurred_at: datetime | None) -> datetime:
    """Departments write at the service clock's now; only the bureau may record a past instant
    (loading history), so nobody can backdate an update to look fresh."""
    if occurred_at is None:
        now: datetime = deps.now(request)
        return now
    if principal.role is not Role.operator:
        raise forbidden("occurred_at: only the bureau (operator) may record a write at another instant")
    return occurred_at


def uow(request: Request) -> CatalogUnitOfWork:
    """A fresh unit of work on the service's pool (one per use case)."""
    return PgCatalogUnitOfWork(deps.pool(request), SCHEMA)


def settings_of(request: Request) -> CatalogSettings:
    """The running service's settings (the defaults when an app was built without them)."""
    settings = request.app.state.host.settings
    return settings if isinstance(settings, CatalogSettings) else CatalogSettings()
