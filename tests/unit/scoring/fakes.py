"""In-memory scoring rows and a live view over a FactStore built from an event log."""

from __future__ import annotations

import copy
import hashlib
from dataclasses import replace
from datetime import datetime
from typing import Any

from hubkit.uow import FakeUnitOfWork
from scoring.domain.engine import evaluate
from scoring.domain.facts import FactStore
from scoring.domain.result import MonthResult
from scoring.domain.ruleset import Ruleset
from scoring.service.ports import AppealRow, ClaimRow, FindingRow, ReminderRow, SubmissionRow


class FakeScoringRows:
    def __init__(self) -> None:
        self.findings: dict[str, dict[str, Any]] = {}
        self.closed: dict[str, list[tuple[str, Any, str]]] = {}
        self.webhooks: dict[int, tuple[str, str, bool]] = {}
        self.codes: set[str] = set()
        self.submissions: dict[str, tuple[SubmissionRow, bytes]] = {}
        self.appeals: dict[str, AppealRow] = {}
        self.claims: dict[str, ClaimRow] = {}
        self.reminders: dict[str, dict[str, Any]] = {}
        self.under_appeal: dict[str, dict[str, list[str]]] = {}

    async def insert_finding(self, *, finding_id: str, event_id: Any, unit: str, item: str, effect: str,
                             inspector: str, occurred_at: datetime, attributed_unit: str | None = None,
                             note: str = "", count: int | None = None) -> bool:
        if finding_id in self.findings:
            return False
        self.findings[finding_id] = {"event_id": event_id, "unit": unit, "item": item, "effect": effect,
                                     "inspector": inspector, "occurred_at": occurred_at,
                                     "attributed_unit": attributed_unit, "note": note, "count": count}
        return True

    async def insert_findings(self, rows: list[FindingRow]) -> list[str]:
        clashes = []
        for r in rows:
            if not await self.insert_finding(finding_id=r.finding_id, event_id=r.event_id, unit=r.unit, item=r.item,
                                             effect=r.effect, inspector=r.inspector, occurred_at=r.occurred_at,
                                             attributed_unit=r.attributed_unit, note=r.note, count=r.count):
                clashes.append(r.finding_id)
        return clashes

    async def finding_for_retraction(self, finding_id: str) -> FindingRow | None:
        f = self.findings.get(finding_id)
        return FindingRow(finding_id=finding_id, **f) if f is not None else None

    async def retract_finding(self, finding_id: str, *, at: datetime, by: str, reason: str) -> None:
        self.findings[finding_id].update(retracted_at=at, retracted_by=by, retract_reason=reason)

    async def insert_appeal(self, row: AppealRow, file: bytes | None) -> bool:
        if any(a.finding_id == row.finding_id for a in self.appeals.values()):
            return False
        self.appeals[row.appeal_id] = row
        return True

    async def appeal_for_decision(self, appeal_id: str) -> AppealRow | None:
        return self.appeals.get(appeal_id)

    async def decide_appeal(self, appeal_id: str, *, status: str, at: datetime, by: str, reason: str) -> None:
        self.appeals[appeal_id] = replace(self.appeals[appeal_id], status=status, decided_at=at, decided_by=by,
                                          decision_reason=reason)

    async def is_closed(self, month: str) -> bool:
        return month in self.closed

    async def open_appeals(self) -> list[tuple[str, str]]:
        return [(a.appeal_id, str(self.findings[a.finding_id]["event_id"])) for a in self.appeals.values()
                if a.status == "lodged"]

    async def freeze(self, result: MonthResult, *, last_position: int, as_of: datetime, closed_by: str,
                     under_appeal: dict[str, list[str]]) -> list[tuple[str, Any, str]]:
        frozen = [(u.unit, u.total, hashlib.sha256(u.unit.encode()).hexdigest()) for u in result.units]
        self.closed[result.month] = frozen
        self.under_appeal[result.month] = under_appeal
        return frozen

    async def set_webhook(self, unit: str, url: str, secret: str) -> int:
        self.webhooks[len(self.webhooks) + 1] = (unit, url, True)
        return len(self.webhooks)

    async def deactivate_webhook(self, unit: str, webhook_id: int) -> bool:
        hook = self.webhooks.get(webhook_id)
        if hook is None or hook[0] != unit or not hook[2]:
            return False
        self.webhooks[webhook_id] = (hook[0], hook[1], False)
        return True

    async def use_console_code(self, jti: str) -> bool:
        if jti in self.codes:
            return False
        self.codes.add(jti)
        return True


    async def insert_submission(self, row: SubmissionRow, file: bytes) -> None:
        self.submissions[row.submission_id] = (row, file)

    async def submission_for_review(self, unit: str, submission_id: str) -> SubmissionRow | None:
        found = self.submissions.get(submission_id)
        return found[0] if found is not None and found[0].unit == unit else None

    async def review_submission(self, submission_id: str, *, status: str, at: datetime, reviewer: str,
                                reason: str | None) -> None:
        row, file = self.submissions[submission_id]
        self.submissions[submission_id] = (replace(row, status=status, reviewed_at=at, reviewer=reviewer,
                                                   reason=reason), file)

    async def submissions_to_judge(self) -> list[SubmissionRow]:
        return [row for row, _ in self.submissions.values()]

    async def submissions_stamp(self) -> tuple[int, int]:
        rows = [row for row, _ in self.submissions.values()]
        return len(rows), sum(1 for r in rows if r.reviewed_at is not None)

    async def reminders_sent(self) -> set[str]:
        return set(self.reminders)

    async def insert_reminders(self, rows: list[ReminderRow]) -> None:
        for r in rows:
            if r.reminder_id in self.reminders:
                raise AssertionError(f"reminder {r.reminder_id} sent twice")  # the table's primary key
            self.reminders[r.reminder_id] = {"event_id": r.event_id, "unit": r.unit, "month": r.month,
                                             "item": r.item, "remind_at": r.remind_at, "payload": r.payload}

    async def lock_sweep(self, name: str) -> None:
        pass  # one event loop, one sweep at a time

    async def automatic_findings(self, inspector: str) -> set[str]:
        return {f for f, v in self.findings.items() if v.get("inspector") == inspector}

    async def insert_claim(self, row: ClaimRow) -> None:
        self.claims[row.claim_id] = row

    async def entry_kind(self, unit: str, entry_id: str) -> str | None:
        return next((c.kind for c in self.claims.values() if c.unit == unit and c.entry_id == entry_id), None)

    async def claim_for_review(self, unit: str, claim_id: str) -> ClaimRow | None:
        found = self.claims.get(claim_id)
        return found if found is not None and found.unit == unit else None

    async def review_claim(self, claim_id: str, *, status: str, at: datetime, reviewer: str,
                           reason: str | None) -> None:
        self.claims[claim_id] = replace(self.claims[claim_id], status=status, reviewed_at=at, reviewer=reviewer,
                                        reason=reason)

    async def claims_to_judge(self) -> list[ClaimRow]:
        return sorted(self.claims.values(), key=lambda c: (c.unit, c.claimed_at, c.claim_id))


class FakeScoringUnitOfWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.rows = FakeScoringRows()

    def _snapshot(self) -> Any:
        return copy.deepcopy(self.rows.__dict__)

    def _restore(self, state: Any) -> None:
        self.rows.__dict__.update(copy.deepcopy(state))


class FakeLive:
    """The live view over a store built from a log, with the watermark and position the test says."""

    def __init__(self, store: FactStore, ruleset: Ruleset, watermark: int | None, position: int = 42) -> None:
        self.store, self.ruleset, self.watermark, self.position = store, ruleset, watermark, position

    behind: int | None = 0  # what caught_up reports (events on the broker not folded)
    busy = False  # the projection is not held still in time: evaluate gives None

    async def caught_up(self, timeout: float) -> int | None:
        return self.behind

    async def undecided_requests(self, unit: str) -> list[tuple[str, int]]:
        from scoring.domain.alert_text import undecided_requests

        return undecided_requests(self.store.facts(unit).exchange)

    def unit_kind(self, unit: str) -> str | None:
        reg = self.store.directory.get(unit)
        return reg.kind if reg else None

    def scored_units(self, month: str | None = None) -> list[tuple[str, str, frozenset[str], int]]:
        units = self.store.directory.units
        return [(u, units[u].kind, units[u].absent_indicators, units[u].stamp[0])
                for u in self.store.directory.scored_units(month)]

    async def evaluate(self, month: str, as_of: datetime | int, *, wait: float) -> tuple[MonthResult, int] | None:
        if self.busy:
            return None
        return evaluate(self.ruleset, self.store.directory, self.store, month, as_of), self.position
