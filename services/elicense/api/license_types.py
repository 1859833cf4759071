"""The license-type registry: the list (reference and registered types), a type with its versions, and the
proposals departments make and the bureau reviews (新增证照类型登记和编码审核)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from hubkit.auth import CurrentPrincipal, Role
from hubkit.problems import not_found
from pydantic import BaseModel, Field

from elicense.api.deps import library, license_types, local_iso, now_of, pool, uow
from elicense.domain.license_types import FieldSpec, LicenseType, fields_doc
from elicense.service import commands as c
from elicense.service import license_types as handlers
from elicense.service import queries
from elicense.service.ports import ProposalRow

router = APIRouter(tags=["license types"])
Code = Annotated[str, Path(pattern=r"^[0-9A-Z]{18}[0-9]{3}$", description="GB/T 36904 license-type code")]
ProposalId = Annotated[str, Path(pattern=r"^ltp-[0-9a-f]{12}$")]


class FieldIn(BaseModel):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$", description="the key in a license's `fields`")
    label: str = Field(min_length=1, max_length=100, description="as printed on the license (e.g. 注册资本)")
    kind: Literal["text", "date", "number"] = "text"
    required: bool = Field(False, description="a license without it is listed as abnormal data")


class TypeIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    sector: str = Field(min_length=1, max_length=100, description="the issuing sector (e.g. 自治区市场监督管理局)")
    holder_kind: Literal["person", "organisation", "either"]
    fields: list[FieldIn] = Field(default_factory=list, max_length=60)


class ProposalIn(TypeIn):
    proposer: str | None = Field(None, description="the bureau proposing for a department; departments: their own")
    change_of: str | None = Field(None, description="the code of a registered type whose fields this changes")


class ReviewIn(BaseModel):
    code: str | None = Field(None, description="register: the code to assign (in the proposer's range); omitted: "
                                               "the next free one")


class ReturnIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)
    field_reasons: dict[str, Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        default_factory=dict, description="per part of the proposal: name, sector, holder_kind, fields, "
                                          "fields.<name>")


def _fields(fields: list[FieldIn]) -> tuple[FieldSpec, ...]:
    return tuple(FieldSpec(f.name, f.label, f.kind, f.required) for f in fields)


def _type_view(t: LicenseType) -> dict[str, Any]:
    return {"code": t.code, "name": t.name, "sector": t.sector, "holder_kind": t.holder_kind,
            "version": t.version, "source": t.source, "fields": fields_doc(t.fields)}


def _proposal_view(p: ProposalRow) -> dict[str, Any]:
    return {"proposal_id": p.proposal_id, "proposer": p.proposer, "change_of": p.change_of, "name": p.name,
            "sector": p.sector, "holder_kind": p.holder_kind, "fields": fields_doc(p.fields), "status": p.status,
            "round": p.rounds, "proposed_at": local_iso(p.proposed_at), "proposed_by": p.proposed_by,
            "review_due": local_iso(p.due_at), "reviewed_at": local_iso(p.reviewed_at), "reviewed_by": p.reviewed_by,
            "reason": p.reason, "field_reasons": p.field_reasons, "code": p.code, "version": p.version}


@router.get("/license-types", summary="The license types: the national reference list and every type registered")
async def list_types(request: Request, sector: str | None = None, q: str | None = None,
                     source: Literal["reference", "registered"] | None = None) -> list[dict[str, Any]]:
    return [_type_view(t) for t in (await license_types(request)).values()
            if (sector is None or t.sector == sector) and (q is None or q in t.name)
            and (source is None or t.source == source)]


@router.get("/license-types/proposals", summary="Proposals: the bureau's review queue, or a department's own")
async def list_proposals(request: Request, principal: CurrentPrincipal,
                         status: Literal["proposed", "registered", "returned"] | None = None,
                         proposer: str | None = None,
                         limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict[str, Any]]:
    """Open proposals first, the nearest review deadline first; a department sees its own only."""
    if principal.role is Role.department:
        proposer = principal.unit
    rows = await queries.type_proposals(pool(request), proposer=proposer, status=status, limit=limit)
    now = now_of(request)
    return [{**_proposal_view(p), "overdue": p.status == "proposed" and now > p.due_at} for p in rows]


@router.post("/license-types/proposals", status_code=201,
             summary="Propose a new license type the unit issues, or new fields of a registered type")
async def propose(body: ProposalIn, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    proposer = body.proposer if principal.role is Role.operator and body.proposer else principal.unit or ""
    cmd = c.ProposeType(actor=principal, proposer=proposer, name=body.name, sector=body.sector,
                        holder_kind=body.holder_kind, fields=_fields(body.fields), change_of=body.change_of,
                        at=now_of(request))
    return _proposal_view(await handlers.propose(cmd, uow(request), await license_types(request)))


@router.put("/license-types/proposals/{proposal_id}", summary="Resubmit a returned proposal, amended")
async def resubmit(proposal_id: ProposalId, body: TypeIn, request: Request,
                   principal: CurrentPrincipal) -> dict[str, Any]:
    cmd = c.ResubmitType(actor=principal, proposal_id=proposal_id, name=body.name, sector=body.sector,
                         holder_kind=body.holder_kind, fields=_fields(body.fields), at=now_of(request))
    return _proposal_view(await handlers.resubmit(cmd, uow(request)))


@router.post("/license-types/proposals/{proposal_id}/register",
             summary="Register the proposal under its code (the bureau)")
async def register(proposal_id: ProposalId, body: ReviewIn, request: Request,
                   principal: CurrentPrincipal) -> dict[str, Any]:
    cmd = c.ReviewType(actor=principal, proposal_id=proposal_id, register=True, code=body.code, reason=None,
                       field_reasons={}, at=now_of(request))
    return _proposal_view(await handlers.review(cmd, uow(request), await license_types(request)))


@router.post("/license-types/proposals/{proposal_id}/return", summary="Return the proposal with reasons (the bureau)")
async def return_(proposal_id: ProposalId, body: ReturnIn, request: Request,
                  principal: CurrentPrincipal) -> dict[str, Any]:
    cmd = c.ReviewType(actor=principal, proposal_id=proposal_id, register=False, code=None, reason=body.reason,
                       field_reasons=body.field_reasons, at=now_of(request))
    return _proposal_view(await handlers.review(cmd, uow(request), await license_types(request)))


@router.get("/license-types/{code}", summary="A license type: its fields now and every version")
async def read_type(code: Code, request: Request) -> dict[str, Any]:
    t = (await license_types(request)).get(code)
    if t is None:
        raise not_found("license type", code)
    versions = await queries.type_versions(pool(request), code)
    if (first := library(request).registry.reference.get(code)) is not None:  # the reference list: version 1
        versions = [{"version": 1, "name": first.name, "fields": [], "proposal_id": None, "registered_at": None,
                     "registered_by": "reference list"}, *versions]
    return {**_type_view(t), "versions": [{**v, "registered_at": local_iso(v["registered_at"])} for v in versions]}
