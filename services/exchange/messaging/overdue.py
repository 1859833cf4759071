"""The exchange's clock watchers: a forwarded request left undecided past its deadline emits request-overdue
once; a subscription whose term ended expires once (exchange.subscription-changed); a demand its provider left
unanswered past its deadline is flagged once (exchange.demand-changed, overdue); each closed window of calls is
counted once (exchange.traffic-counted)."""

from __future__ import annotations

import asyncio

import asyncpg
from hubkit import telemetry
from hubkit.service import ServiceHost

from exchange.service import demands, handlers, subscriptions, traffic
from exchange.settings import exchange_settings
from exchange.storage.uow import PgExchangeUnitOfWork

log = telemetry.get_logger(__name__)
POLL_SECONDS = 0.5
TRAFFIC_POLL_SECONDS = 2.0


async def flag_overdue(host: ServiceHost) -> int:
    """One pass; the event time is the deadline itself (when it became overdue), not when we noticed."""
    now = host.clock.now()
    due = await handlers.flag_overdue(now, PgExchangeUnitOfWork(host.pool, host.spec.schema))
    if due:
        log.info("requests overdue", count=due)
    late = await handlers.flag_overdue_disputes(now, PgExchangeUnitOfWork(host.pool, host.spec.schema))
    if late:
        log.info("disputes overdue", count=late)
    ended = await subscriptions.expire(now, PgExchangeUnitOfWork(host.pool, host.spec.schema))
    if ended:
        log.info("subscriptions expired", count=ended)
    unanswered = await demands.flag_overdue(now, PgExchangeUnitOfWork(host.pool, host.spec.schema))
    if unanswered:
        log.info("demands overdue", count=unanswered)
    return due + late + ended + unanswered


async def watch(host: ServiceHost) -> None:
    while True:
        await flag_overdue(host)
        await asyncio.sleep(POLL_SECONDS)


async def count_traffic(host: ServiceHost) -> int:
    """One pass of the traffic count; another replica counting the same window first makes this pass fail
    its transaction and count nothing (the window's mark is unique)."""
    seconds = exchange_settings(host.settings).traffic_window_seconds
    try:
        return await traffic.count_traffic(host.clock.now(), PgExchangeUnitOfWork(host.pool, host.spec.schema),
                                           seconds)
    except asyncpg.UniqueViolationError:
        return 0


async def watch_traffic(host: ServiceHost) -> None:
    while True:
        counted = await count_traffic(host)
        if counted:
            log.info("traffic counted", windows=counted)
        await asyncio.sleep(TRAFFIC_POLL_SECONDS)
