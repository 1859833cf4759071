"""What every exchange route needs: a unit of work for a use case, instants as people read them."""

from __future__ import annotations

from datetime import datetime

from contracts.workdays import SHANGHAI
from fastapi import Request
from hubkit.deps import pool

from exchange.domain.requests import Terms
from exchange.service.ports import ExchangeUnitOfWork
from exchange.settings import exchange_settings
from exchange.storage.uow import PgExchangeUnitOfWork

SCHEMA = "exchange"


def uow(request: Request) -> ExchangeUnitOfWork:
    """A fresh unit of work on the service's pool (one per use case)."""
    return PgExchangeUnitOfWork(pool(request), SCHEMA)


def local_iso(at: datetime) -> str:
    """Instants are shown in Asia/Shanghai, whichever offset the database or the caller used."""
    return at.astimezone(SHANGHAI).isoformat()


def default_terms(request: Request, *, term: bool = True) -> Terms:
    """What a grant carries unless its provider says otherwise (the service's settings); `term=False`: no term
    (an unconditional share granted at once)."""
    settings = exchange_settings(request.app.state.host.settings)
    return Terms(settings.subscription_days if term else None, settings.quota_per_minute, settings.quota_per_day)


def decision_days(request: Request) -> dict[str, int]:
    """Working days a provider has to decide, per data kind (the service's settings)."""
    settings = exchange_settings(request.app.state.host.settings)
    return {"government": settings.decision_days_government, "supervision": settings.decision_days_supervision}
