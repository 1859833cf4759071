"""What every route may need from the running service, once for all services: the pool, the service
clock, the caller, instants shown the way people read them. Use the `Annotated` aliases as parameters
(`pool: Pool, now: Now`) or the plain functions where a request is at hand."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import asyncpg
from contracts.workdays import SHANGHAI
from fastapi import Depends, Request

from .auth import CurrentPrincipal as CurrentPrincipal  # re-exported: one import for a router


def pool(request: Request) -> asyncpg.Pool:
    """The service's connection pool (bound to its schema by the composition root)."""
    p: asyncpg.Pool = request.app.state.host.pool
    return p


def now(request: Request) -> datetime:
    """The service clock's now (simulated in the demo and the tests)."""
    at: datetime = request.app.state.clock.now()
    return at


def today(request: Request) -> date:
    """Today on the Shanghai calendar, by the service clock."""
    return now(request).astimezone(SHANGHAI).date()


def local_iso(at: datetime | None) -> str | None:
    """Instants are shown in Asia/Shanghai, whichever offset the database or the caller used."""
    return at.astimezone(SHANGHAI).isoformat() if at else None


Pool = Annotated[asyncpg.Pool, Depends(pool)]
Now = Annotated[datetime, Depends(now)]
Today = Annotated[date, Depends(today)]
