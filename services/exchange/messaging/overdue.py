"""The deadline watcher: a forwarded request left undecided past its deadline emits request-overdue once."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from contracts import new_envelope
from contracts.exchange import RequestOverdue
from hubkit import outbox, telemetry
from hubkit.service import ServiceHost

from exchange.domain.requests import AccessRequest, overdue
from exchange.storage import repo

log = telemetry.get_logger(__name__)
POLL_SECONDS = 0.5


async def flag_overdue(host: ServiceHost) -> int:
    """One pass; the event time is the deadline itself (when it became overdue), not when we noticed."""
    now = host.clock.now()
    async with host.pool.acquire() as conn, conn.transaction():
        due = [r for r in await repo.due_overdue(conn, now) if overdue(r, now)]
        for req in due:
            assert req.provider_due is not None and req.forwarded_at is not None
            await repo.save_request(conn, _flagged(req))
            payload = RequestOverdue(request_id=req.id, data_kind=req.data_kind, forwarded_at=req.forwarded_at,
                                     deadline=req.provider_due)
            await outbox.add(conn, "exchange", new_envelope(payload, unit=req.provider, occurred_at=req.provider_due))
    if due:
        log.info("requests overdue", count=len(due))
    return len(due)


def _flagged(req: AccessRequest) -> AccessRequest:
    return replace(req, overdue_at=req.provider_due)


async def watch(host: ServiceHost) -> None:
    while True:
        await flag_overdue(host)
        await asyncio.sleep(POLL_SECONDS)
