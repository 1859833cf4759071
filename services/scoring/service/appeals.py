"""Appeals: a unit contests a finding about it (or attributed to it) within a number of working days of the
finding's event time; the bureau upholds it (the finding is withdrawn with it) or rejects it, once."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace
from datetime import datetime, timedelta

from contracts.scoring import AppealDecided, AppealLodged
from hubkit.auth import Role
from hubkit.problems import Problem, conflict, forbidden, not_found

from scoring.domain.clock import SHANGHAI, to_datetime, to_instant
from scoring.domain.deadlines import working_deadline_at
from scoring.domain.documents import NotADocument, document_format
from scoring.service import commands as c
from scoring.service.handlers import withdraw
from scoring.service.ports import AppealRow, ScoringUnitOfWork


def _invalid(detail: str) -> Problem:
    return Problem(422, "Invalid request", detail, kind="invalid-request")


def appeal_deadline(finding_occurred_at: datetime, working_days: int) -> datetime:
    """The end of the appeal window: 24:00 of the n-th working day after the finding's local day."""
    return to_datetime(working_deadline_at(to_instant(finding_occurred_at), working_days))


async def lodge(cmd: c.Appeal, uow: ScoringUnitOfWork, working_days: int) -> AppealRow:
    reason = cmd.reason.strip()
    if not reason:
        raise _invalid("reason: say why the finding is wrong")
    fmt = sha = None
    if cmd.file is not None:
        try:
            fmt = document_format(cmd.file_name or "", cmd.file)
        except NotADocument as exc:
            raise _invalid(str(exc)) from None
        sha = hashlib.sha256(cmd.file).hexdigest()
    async with uow:
        finding = await uow.rows.finding_for_retraction(cmd.finding_id)
        if finding is None:
            raise not_found("finding", cmd.finding_id)
        if cmd.actor.role is not Role.department or cmd.actor.unit not in (finding.unit, finding.attributed_unit):
            raise forbidden("only the unit a finding is about, or the unit it is attributed to, appeals it")
        if finding.retracted_at is not None:
            raise conflict(f"finding {cmd.finding_id} was withdrawn already")
        until = appeal_deadline(finding.occurred_at, working_days)
        if cmd.at >= until:
            last = (until - timedelta(microseconds=1)).astimezone(SHANGHAI).date()
            raise _invalid(f"finding_id: the window to appeal {cmd.finding_id} closed at {last} 24:00")
        row = AppealRow(appeal_id=uuid.uuid4().hex, finding_id=finding.finding_id, unit=cmd.actor.unit or "",
                        lodged_at=cmd.at, reason=reason, file_name=cmd.file_name if cmd.file else None,
                        file_format=fmt, file_sha256=sha)
        if not await uow.rows.insert_appeal(row, cmd.file):
            raise conflict(f"finding {cmd.finding_id} was appealed already")
        uow.emit(AppealLodged(appeal_id=row.appeal_id, finding_id=finding.finding_id, item=finding.item,
                              reason=reason, file_sha256=sha), unit=row.unit, at=cmd.at)
        await uow.commit()
    return row


async def decide(cmd: c.DecideAppeal, uow: ScoringUnitOfWork) -> AppealRow:
    """Uphold (the finding is withdrawn, its deduction gone in every month) or reject, once, with a reason."""
    reason = cmd.reason.strip()
    if not reason:
        raise _invalid("reason: the bureau says why")
    async with uow:
        appeal = await uow.rows.appeal_for_decision(cmd.appeal_id)
        if appeal is None:
            raise not_found("appeal", cmd.appeal_id)
        if appeal.status != "lodged":
            raise conflict(f"appeal {cmd.appeal_id} was {appeal.status} already")
        status = "upheld" if cmd.upheld else "rejected"
        await uow.rows.decide_appeal(appeal.appeal_id, status=status, at=cmd.at, by=cmd.actor.subject, reason=reason)
        finding = await uow.rows.finding_for_retraction(appeal.finding_id)
        assert finding is not None  # an appeal references its finding (foreign key)
        uow.emit(AppealDecided(appeal_id=appeal.appeal_id, finding_id=appeal.finding_id, upheld=cmd.upheld,
                               reason=reason, by=cmd.actor.subject), unit=appeal.unit, at=cmd.at)
        if cmd.upheld and finding.retracted_at is None:
            await withdraw(uow, finding, at=cmd.at, by=cmd.actor.subject, reason=f"申诉成立：{reason}")
        await uow.commit()
    return replace(appeal, status=status, decided_at=cmd.at, decided_by=cmd.actor.subject, decision_reason=reason)
