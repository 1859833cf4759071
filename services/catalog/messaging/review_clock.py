"""The catalog's clock watcher: a submission the bureau left undecided past its deadline is flagged once
(catalog.review-overdue), and a resource whose public notice ended is published (catalog.resource-published at
the notice's end). Replicas may run it side by side: rows are taken with SKIP LOCKED and each step is said once."""

from __future__ import annotations

import asyncio

from hubkit import telemetry
from hubkit.service import ServiceHost

from catalog.service import reviews
from catalog.storage.uow import PgCatalogUnitOfWork

log = telemetry.get_logger(__name__)
POLL_SECONDS = 0.5


async def tick(host: ServiceHost) -> tuple[int, int]:
    """One pass at the service clock's now."""
    flagged, published = await reviews.pass_clock(host.clock.now(), PgCatalogUnitOfWork(host.pool, host.spec.schema))
    if flagged:
        log.info("reviews overdue", count=flagged)
    if published:
        log.info("resources published after their notice", count=published)
    return flagged, published


async def watch(host: ServiceHost) -> None:
    while True:
        await tick(host)
        await asyncio.sleep(POLL_SECONDS)
