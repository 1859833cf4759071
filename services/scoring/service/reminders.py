"""Reminders before submission deadlines (domain/reminders.py), sent through the units' alert channels:
an event, and an alert row delivered to the unit's stream and webhooks like a deduction alert."""

from __future__ import annotations

import asyncio

from contracts.scoring import DeadlineReminded

from scoring.domain.clock import Instant, month_of, to_datetime
from scoring.domain.reminders import Reminder, next_change, reminders_due
from scoring.domain.ruleset import Ruleset
from scoring.domain.submissions import Requirement, Requirements, Submitted
from scoring.service.ports import Live, ReminderRow, ScoringUnitOfWork
from scoring.service.submissions import SweepMemo, as_submitted


async def send_reminders(now: Instant, uow: ScoringUnitOfWork, requirements: Requirements, ruleset: Ruleset,
                         live: Live, days: int, memo: SweepMemo | None = None) -> int:
    """Remind, as of `now` (event time), every unit that has nothing valid in for a deadline less than
    `days` working days away; each reminder once. With a `memo` (kept by the caller between passes) a pass
    that could owe nothing new returns at once. Returns how many were sent."""
    if days < 1 or not requirements.requirements:
        return 0
    units = live.scored_units(month_of(now))  # none to units not checked
    async with uow:
        stamp = await uow.rows.submissions_stamp()  # before the rows: one coming in between is read next time
        if memo is not None and memo.unchanged(stamp, units, now):
            return 0
        await uow.rows.lock_sweep("reminder")  # one at a time, across instances: each reminder once
        by_unit: dict[tuple[str, str], list[Submitted]] = {}
        for r in await uow.rows.submissions_to_judge():
            by_unit.setdefault((r.unit, r.kind), []).append(as_submitted(r))
        done = await uow.rows.reminders_sent()
        new: list[ReminderRow] = []
        for unit, kind, absent, registered in units:
            await asyncio.sleep(0)  # a province of units: the alert path runs between them
            for req in requirements.binding(ruleset, kind, absent):
                for reminder in reminders_due(unit, req, by_unit.get((unit, req.kind), []), now, registered, days):
                    if reminder.reminder_id not in done:
                        new.append(_reminded(uow, unit, req, reminder, ruleset))
        await uow.rows.insert_reminders(new)
        await uow.commit()
    if memo is not None:
        memo.stamp, memo.units = stamp, units
        memo.next_change = next_change(requirements.requirements, [s for subs in by_unit.values() for s in subs],
                                       [registered for _, _, _, registered in units], now, days)
    return len(new)


def _reminded(uow: ScoringUnitOfWork, unit: str, req: Requirement, reminder: Reminder, ruleset: Ruleset
              ) -> ReminderRow:
    """The reminder's event (collected by the unit of work) and its row."""
    payload = DeadlineReminded(reminder_id=reminder.reminder_id, kind=req.kind, period=reminder.period, item=req.item,
                               title_zh=req.title_zh, deadline=to_datetime(reminder.deadline),
                               working_days_left=reminder.working_days_left)
    event = uow.emit(payload, unit=unit, at=to_datetime(reminder.at))
    alert = {"alert": "reminder", "unit": unit, "month": month_of(reminder.deadline - 1),
             "points": str(ruleset.items[req.item].points), "cause_event_ids": [],
             **payload.model_dump(mode="json")}
    return ReminderRow(reminder_id=reminder.reminder_id, event_id=event.id, unit=unit, month=alert["month"],
                       item=req.item, remind_at=to_datetime(reminder.at), payload=alert)
