"""The deadline watcher: a forwarded request left undecided past its deadline emits request-overdue once."""

from __future__ import annotations

import asyncio

from hubkit import telemetry
from hubkit.service import ServiceHost

from exchange.service import handlers
from exchange.storage.uow import PgExchangeUnitOfWork

log = telemetry.get_logger(__name__)
POLL_SECONDS = 0.5


async def flag_overdue(host: ServiceHost) -> int:
    """One pass; the event time is the deadline itself (when it became overdue), not when we noticed."""
    due = await handlers.flag_overdue(host.clock.now(), PgExchangeUnitOfWork(host.pool, host.spec.schema))
    if due:
        log.info("requests overdue", count=due)
    return due


async def watch(host: ServiceHost) -> None:
    while True:
        await flag_overdue(host)
        await asyncio.sleep(POLL_SECONDS)
