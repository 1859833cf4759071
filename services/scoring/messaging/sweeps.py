"""The sweeps that act as event time passes: findings the hub judges itself (missed submissions,
service/submissions.py; what the units' system inventories show, service/inventory.py) and reminders
before submission deadlines (service/reminders.py)."""

from __future__ import annotations

import asyncio

from hubkit.service import ServiceHost
from hubkit.telemetry import get_logger

from scoring.domain.clock import to_instant
from scoring.domain.inventory import InventoryRules
from scoring.domain.ruleset import Ruleset
from scoring.domain.submissions import Requirements
from scoring.messaging.projector import LiveProjector
from scoring.service import inventory, reminders, submissions
from scoring.storage.uow import PgScoringUnitOfWork
from scoring.views import LiveView

log = get_logger(__name__)


class FindingSweeps:
    def __init__(self, requirements: Requirements, inventory_rules: InventoryRules, ruleset: Ruleset,
                 projector: LiveProjector, every_seconds: float, reminder_days: int = 0) -> None:
        self.requirements, self.inventory_rules = requirements, inventory_rules
        self.ruleset, self.projector, self.every_seconds = ruleset, projector, every_seconds
        self.reminder_days = reminder_days
        self.inventory_swept: int | None = None  # `now` of the last inventory sweep that completed
        self.submissions_memo = submissions.SweepMemo()  # what the last submission sweep judged from
        self.reminders_memo = submissions.SweepMemo()  # what the last reminder sweep judged from

    async def once(self, host: ServiceHost) -> int:
        """One pass as of the earlier of the live watermark and the service's clock: an instant is judged
        once the facts' event time has passed it and nothing stamped before it can still come in (writes
        are stamped with the clock). The findings carry the instants they are about, so replay needs
        neither."""
        watermark = self.projector.projection.watermark
        if watermark is None or not self.projector.ready.is_set():
            return 0
        now = min(watermark, to_instant(host.clock.now()))
        live = LiveView(self.projector, self.ruleset, host.pool)
        missed = await submissions.sweep_submissions(now, PgScoringUnitOfWork(host.pool, host.spec.schema),
                                                     self.requirements, self.ruleset, live, self.submissions_memo)
        if missed:
            log.info("missed submissions recorded as findings", count=missed)
        shown = await inventory.sweep_inventory(now, PgScoringUnitOfWork(host.pool, host.spec.schema),
                                                self.inventory_rules, live, self.inventory_swept)
        self.inventory_swept = now
        if shown:
            log.info("inventory changes recorded as findings", count=shown)
        reminded = await reminders.send_reminders(now, PgScoringUnitOfWork(host.pool, host.spec.schema),
                                                  self.requirements, self.ruleset, live, self.reminder_days,
                                                  self.reminders_memo)
        if reminded:
            log.info("units reminded of submission deadlines", count=reminded)
        return missed + shown + reminded

    async def run(self, host: ServiceHost) -> None:
        if not self.requirements.requirements and not self.inventory_rules.fed:
            return  # nothing is judged by the hub itself
        while True:
            await self.once(host)
            await asyncio.sleep(self.every_seconds)
