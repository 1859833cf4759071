"""The submission watcher: once the event time passes a submission deadline, each unit that missed it
gets the item's finding, recorded by the hub itself (see service/handlers.sweep_submissions)."""

from __future__ import annotations

import asyncio

from hubkit.service import ServiceHost
from hubkit.telemetry import get_logger

from scoring.domain.clock import to_instant
from scoring.domain.ruleset import Ruleset
from scoring.domain.submissions import Requirements
from scoring.messaging.projector import LiveProjector
from scoring.service import submissions as handlers
from scoring.storage.uow import PgScoringUnitOfWork
from scoring.views import LiveView

log = get_logger(__name__)


class SubmissionSweep:
    def __init__(self, requirements: Requirements, ruleset: Ruleset, projector: LiveProjector,
                 every_seconds: float) -> None:
        self.requirements, self.ruleset, self.projector = requirements, ruleset, projector
        self.every_seconds = every_seconds

    async def once(self, host: ServiceHost) -> int:
        """One pass as of the earlier of the live watermark and the service's clock: a deadline is judged
        once the facts' event time has passed it and no submission can still come in before it (they are
        stamped with the clock). The findings carry the deadline's instant, so replay never needs either."""
        watermark = self.projector.projection.watermark
        if watermark is None or not self.projector.ready.is_set():
            return 0
        now = min(watermark, to_instant(host.clock.now()))
        uow = PgScoringUnitOfWork(host.pool, host.spec.schema)
        live = LiveView(self.projector, self.ruleset)
        found = await handlers.sweep_submissions(now, uow, self.requirements, self.ruleset, live)
        if found:
            log.info("missed submissions recorded as findings", count=found)
        return found

    async def run(self, host: ServiceHost) -> None:
        if not self.requirements.requirements:
            return  # nothing is required of anyone
        while True:
            await self.once(host)
            await asyncio.sleep(self.every_seconds)
