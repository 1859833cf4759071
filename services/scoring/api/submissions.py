"""Documents units submit under the ruleset's submission requirements (survey forms, plans, monthly
reports), their review by the bureau's inspectors, and the requirements themselves."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from hubkit.auth import CurrentPrincipal
from hubkit.problems import not_found
from pydantic import BaseModel, Field

from scoring.api import deps
from scoring.domain.clock import SHANGHAI
from scoring.service import commands as c
from scoring.service import queries
from scoring.service import submissions as handlers
from scoring.service.ports import SubmissionRow

router = APIRouter(tags=["submissions"])
_MEDIA = {"pdf": "application/pdf", "ofd": "application/ofd",
          "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
          "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          "doc": "application/msword", "xls": "application/vnd.ms-excel"}


class SubmissionBody(BaseModel):
    kind: str = Field(min_length=1, max_length=64, description="a submission kind of GET /requirements")
    period: Annotated[str | None, Field(max_length=7)] = Field(
        None, description="'once' for a one-off document; YYYY-MM for a monthly report (default: this month)")
    file_name: str = Field(min_length=1, max_length=200, description="e.g. 调查表.xlsx; the extension names the format")
    file_base64: str = Field(min_length=1, description="the file (PDF, OFD, DOCX, XLSX, DOC or XLS), base64")
    completed: bool = Field(False, description="a progress report saying the work is complete (no further reports)")
    received_at: datetime | None = Field(None, description="operators only: when the bureau received a document "
                                                           "outside the hub (on paper); default: now")


class ReturnBody(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="what the unit must correct")


def _view(row: SubmissionRow) -> dict[str, Any]:
    reviewed = row.reviewed_at.astimezone(SHANGHAI).isoformat() if row.reviewed_at else None
    return {"submission_id": row.submission_id, "unit": row.unit, "kind": row.kind, "period": row.period,
            "received_at": row.received_at.astimezone(SHANGHAI).isoformat(), "file_name": row.file_name,
            "file_format": row.file_format, "file_sha256": row.file_sha256, "completed": row.completed,
            "status": row.status, "reviewed_at": reviewed, "reviewer": row.reviewer, "reason": row.reason}


@router.get("/requirements", summary="What units must submit, which item a missed submission costs, by when")
async def requirements(request: Request, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    ruleset = deps.ruleset(request)
    return [{"kind": r.kind, "title_zh": r.title_zh, "item": r.item, "item_label_zh": ruleset.items[r.item].label_zh,
             "due": r.due, "deadline": r.deadline.isoformat() if r.deadline else None, "from": r.first_month,
             "day": r.day, "applies_to": list(ruleset.items[r.item].applies_to)}
            for r in deps.requirements(request).requirements]


@router.post("/submissions/{unit}", status_code=201, summary="Submit a document the rules ask of the unit")
async def submit(unit: str, body: SubmissionBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    data = deps.document_bytes(body.file_base64)
    cmd = c.Submit(actor=principal, unit=unit, kind=body.kind, period=body.period, file_name=body.file_name,
                   file=data, completed=body.completed, at=deps.now(request),
                   received_at=deps.aware(body.received_at, "received_at") if body.received_at else None)
    row = await handlers.submit(cmd, deps.uow(request), deps.requirements(request), deps.ruleset(request),
                                deps.live(request))
    return _view(row)


@router.get("/submissions/{unit}", summary="The unit's submissions, newest first, with their review")
async def list_submissions(unit: str, request: Request, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    return [_view(r) for r in await queries.submissions(deps.pool(request), unit)]


@router.get("/submissions/{unit}/{submission_id}/file", summary="The submitted file")
async def submission_file(unit: str, submission_id: str, request: Request, principal: CurrentPrincipal) -> Response:
    found = await queries.submission_file(deps.pool(request), unit, submission_id)
    if found is None:
        raise not_found("submission", submission_id)
    row, data = found
    return Response(data, media_type=_MEDIA[row.file_format],
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{_quoted(row.file_name)}"})


@router.post("/submissions/{unit}/{submission_id}/accept", summary="Accept a submission: it meets its requirement")
async def accept(unit: str, submission_id: str, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    cmd = c.Review(actor=principal, unit=unit, submission_id=submission_id, accept=True, reason=None,
                   at=deps.now(request))
    return _view(await handlers.review_submission(cmd, deps.uow(request)))


@router.post("/submissions/{unit}/{submission_id}/return", summary="Return a submission with the reason")
async def return_(unit: str, submission_id: str, body: ReturnBody, request: Request,
                  principal: CurrentPrincipal) -> dict[str, Any]:
    cmd = c.Review(actor=principal, unit=unit, submission_id=submission_id, accept=False, reason=body.reason,
                   at=deps.now(request))
    return _view(await handlers.review_submission(cmd, deps.uow(request)))


def _quoted(name: str) -> str:
    return quote(name, safe="")

