"""The scoring service's unit of work on PostgreSQL, for its API's writes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from hubkit.uow import AsyncpgUnitOfWork

from scoring.domain.result import MonthResult
from scoring.service.ports import AppealRow, ClaimRow, FindingRow, ReminderRow, ScoringRows, SubmissionRow
from scoring.storage import alerts, appeals, findings, inventory, months, submissions


class PgScoringRows:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def insert_finding(self, *, finding_id: str, event_id: Any, unit: str, item: str, effect: str,
                             inspector: str, occurred_at: datetime, attributed_unit: str | None = None,
                             note: str = "", count: int | None = None) -> bool:
        """False when the finding id was recorded already."""
        return bool(await self.conn.fetchval(
            "INSERT INTO findings (finding_id, event_id, unit, item, effect, inspector, occurred_at, "
            "attributed_unit, note, count) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
            "ON CONFLICT DO NOTHING RETURNING true",
            finding_id, event_id, unit, item, effect, inspector, occurred_at, attributed_unit, note, count))

    async def insert_findings(self, rows: list[FindingRow]) -> list[str]:
        return await findings.insert_many(self.conn, rows)

    async def finding_for_retraction(self, finding_id: str) -> FindingRow | None:
        return await findings.for_retraction(self.conn, finding_id)

    async def retract_finding(self, finding_id: str, *, at: datetime, by: str, reason: str) -> None:
        await findings.retract(self.conn, finding_id, at=at, by=by, reason=reason)

    async def insert_appeal(self, row: AppealRow, file: bytes | None) -> bool:
        return await appeals.insert(self.conn, row, file)

    async def appeal_for_decision(self, appeal_id: str) -> AppealRow | None:
        return await appeals.for_decision(self.conn, appeal_id)

    async def decide_appeal(self, appeal_id: str, *, status: str, at: datetime, by: str, reason: str) -> None:
        await appeals.decide(self.conn, appeal_id, status=status, at=at, by=by, reason=reason)

    async def is_closed(self, month: str) -> bool:
        return await months.is_closed(self.conn, month)

    async def open_appeals(self) -> list[tuple[str, str]]:
        return [(r["appeal_id"], str(r["event_id"])) for r in await self.conn.fetch(
            "SELECT a.appeal_id, f.event_id FROM appeals a JOIN findings f USING (finding_id) "
            "WHERE a.status = 'lodged'")]

    async def freeze(self, result: MonthResult, *, last_position: int, as_of: datetime, closed_by: str,
                     under_appeal: dict[str, list[str]]) -> list[tuple[str, Any, str]]:
        return await months.freeze(self.conn, result, last_position=last_position, as_of=as_of, closed_by=closed_by,
                                   under_appeal=under_appeal)

    async def set_webhook(self, unit: str, url: str, secret: str) -> int:
        return await alerts.set_webhook(self.conn, unit, url, secret)

    async def deactivate_webhook(self, unit: str, webhook_id: int) -> bool:
        return await alerts.deactivate(self.conn, unit, webhook_id)

    async def use_console_code(self, jti: str) -> bool:
        """True the first time a one-time sign-in code is used, False after."""
        return bool(await self.conn.fetchval(
            "INSERT INTO console_codes (jti) VALUES ($1) ON CONFLICT DO NOTHING RETURNING true", jti))


    async def insert_submission(self, row: SubmissionRow, file: bytes) -> None:
        await submissions.insert(self.conn, row, file)

    async def submission_for_review(self, unit: str, submission_id: str) -> SubmissionRow | None:
        return await submissions.for_review(self.conn, unit, submission_id)

    async def review_submission(self, submission_id: str, *, status: str, at: datetime, reviewer: str,
                                reason: str | None) -> None:
        await submissions.review(self.conn, submission_id, status=status, at=at, reviewer=reviewer, reason=reason)

    async def submissions_to_judge(self) -> list[SubmissionRow]:
        return await submissions.all_rows(self.conn)

    async def submissions_stamp(self) -> tuple[int, int]:
        return await submissions.stamp(self.conn)

    async def reminders_sent(self) -> set[str]:
        return {r["reminder_id"] for r in await self.conn.fetch("SELECT reminder_id FROM reminders")}

    async def insert_reminders(self, rows: list[ReminderRow]) -> None:
        await alerts.insert_reminders(self.conn, rows)

    async def lock_sweep(self, name: str) -> None:
        await self.conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"scoring.{name}-sweep")

    async def automatic_findings(self, inspector: str) -> set[str]:
        return {r["finding_id"] for r in await self.conn.fetch(
            "SELECT finding_id FROM findings WHERE inspector = $1", inspector)}

    async def insert_claim(self, row: ClaimRow) -> None:
        await inventory.insert(self.conn, row)

    async def entry_kind(self, unit: str, entry_id: str) -> str | None:
        return await inventory.entry_kind(self.conn, unit, entry_id)

    async def claim_for_review(self, unit: str, claim_id: str) -> ClaimRow | None:
        return await inventory.for_review(self.conn, unit, claim_id)

    async def review_claim(self, claim_id: str, *, status: str, at: datetime, reviewer: str,
                           reason: str | None) -> None:
        await inventory.review(self.conn, claim_id, status=status, at=at, reviewer=reviewer, reason=reason)

    async def claims_to_judge(self) -> list[ClaimRow]:
        return await inventory.all_rows(self.conn)


class PgScoringUnitOfWork(AsyncpgUnitOfWork):
    rows: ScoringRows

    def _bind(self, conn: asyncpg.Connection) -> None:
        self.rows = PgScoringRows(conn)
