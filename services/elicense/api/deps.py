"""What every e-license route needs: the pool, the clock, the library, who may act for which issuer."""

from __future__ import annotations

from datetime import date, datetime

import asyncpg
from contracts.workdays import SHANGHAI
from fastapi import Request
from hubkit.auth import Principal, Role
from hubkit.problems import Problem, forbidden

from elicense.library import Library

SCHEMA = "elicense"


def pool(request: Request) -> asyncpg.Pool:
    p: asyncpg.Pool = request.app.state.host.pool
    return p


def library(request: Request) -> Library:
    lib: Library = request.app.state.library
    return lib


def now_of(request: Request) -> datetime:
    now: datetime = request.app.state.clock.now()
    return now


def today_of(request: Request) -> date:
    return now_of(request).astimezone(SHANGHAI).date()


def local_iso(at: datetime | None) -> str | None:
    return at.astimezone(SHANGHAI).isoformat() if at else None


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
