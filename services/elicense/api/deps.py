"""What every e-license route needs: the pool, the clock, the library, who may act for which issuer."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from hubkit.auth import Principal, Role
from hubkit.deps import local_iso, pool
from hubkit.deps import now as now_of
from hubkit.deps import today as today_of
from hubkit.problems import Problem, forbidden

from elicense.domain.license_types import LicenseType
from elicense.library import Library
from elicense.service.ports import ElicenseUnitOfWork
from elicense.storage.uow import PgElicenseUnitOfWork, PgTypeRows

__all__ = ["issuer_for", "library", "license_types", "local_iso", "now_of", "pool", "today_of", "uow", "write_instant"]

SCHEMA = "elicense"


def library(request: Request) -> Library:
    lib: Library = request.app.state.library
    return lib


async def license_types(request: Request) -> dict[str, LicenseType]:
    """The registry as of now: the reference list and every type registered (by any instance)."""
    async with pool(request).acquire() as conn:
        return await library(request).registry.current(PgTypeRows(conn))


def issuer_for(principal: Principal, issuer: str | None) -> str:
    """A department pushes its own licenses only; the bureau (operator) acts for a named issuer."""
    if principal.role is Role.department:
        if issuer is not None and issuer != principal.unit:
            raise forbidden(f"a department token for {principal.unit} cannot push licenses of {issuer}")
        return principal.unit or ""
    if principal.role is Role.operator:
        if not issuer:
            raise Problem(422, "Invalid request", "issuer: the bureau must name the issuing unit",
                          kind="invalid-request")
        return issuer
    raise forbidden(f"role {principal.role.value} does not push licenses")


def write_instant(request: Request, principal: Principal, occurred_at: datetime | None) -> datetime:
    """The service clock's now; only the bureau may record a past instant (loading history)."""
    if occurred_at is None:
        return now_of(request)
    if principal.role is not Role.operator:
        raise forbidden("occurred_at: only the bureau (operator) may record a push at another instant")
    return occurred_at


def uow(request: Request) -> ElicenseUnitOfWork:
    """A fresh unit of work on the service's pool (one per use case)."""
    return PgElicenseUnitOfWork(pool(request), SCHEMA)
