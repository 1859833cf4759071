"""The license-type registry's use cases (新增证照类型登记和编码审核, seed 003 §2(七)): a department proposes a
type it issues, or new fields of one; the bureau registers it under a GB/T 36904 code or returns it with
reasons; a returned proposal is resubmitted. And the registry as every other use case reads it."""

from __future__ import annotations

import uuid
from dataclasses import replace

from contracts.elicense import LicenseTypeProposed, LicenseTypeRegistered, LicenseTypeReturned, TypeField
from contracts.values import validate_uscc
from contracts.workdays import working_deadline
from hubkit.auth import Principal, Role
from hubkit.problems import Problem, conflict, forbidden, not_found

from elicense.domain.license_types import (
    FieldSpec,
    LicenseType,
    TypeInvalid,
    check_code,
    check_fields,
    next_code,
)
from elicense.service import commands as c
from elicense.service.ports import ElicenseUnitOfWork, ProposalRow, TypeRows

REVIEW_WORKING_DAYS = 5  # the bureau's review of a proposal, as the exchange's reviews are counted
HOLDER_KINDS = ("person", "organisation", "either")
# what a return may give reasons for, besides each proposed field ("fields.<name>")
REVIEWABLE = ("name", "sector", "holder_kind", "fields", "code")


class TypeRegistry:
    """The reference list with the registered types over it. Registered versions are only ever added, so
    their count tells whether another instance registered one since: one small query per use, and every
    instance sees a registration at once."""

    def __init__(self, reference: dict[str, LicenseType]) -> None:
        self.reference = reference
        self._stamp: int | None = None
        self._types = dict(reference)

    async def current(self, rows: TypeRows) -> dict[str, LicenseType]:
        stamp = await rows.stamp()
        if stamp != self._stamp:
            merged = dict(self.reference)
            merged.update({t.code: t for t in await rows.latest()})
            self._types, self._stamp = merged, stamp
        return self._types


def _invalid(detail: str) -> Problem:
    return Problem(422, "Invalid request", detail, kind="invalid-request")


def _may_propose_for(actor: Principal, proposer: str) -> None:
    if actor.role is Role.department and actor.unit != proposer:
        raise forbidden(f"a department token for {actor.unit} proposes types for its own unit, not {proposer}")
    if actor.role not in (Role.department, Role.operator):
        raise forbidden(f"role {actor.role.value} does not propose license types")


def _checked(name: str, sector: str, holder_kind: str, fields: tuple[FieldSpec, ...]) -> tuple[FieldSpec, ...]:
    if not name.strip() or len(name) > 100:
        raise _invalid("name: 1–100 characters")
    if not sector.strip() or len(sector) > 100:
        raise _invalid("sector: 1–100 characters")
    if holder_kind not in HOLDER_KINDS:
        raise _invalid(f"holder_kind: one of {', '.join(HOLDER_KINDS)}")
    try:
        return check_fields(list(fields))
    except TypeInvalid as exc:
        raise _invalid(str(exc)) from None


def _wire(fields: tuple[FieldSpec, ...]) -> list[TypeField]:
    return [TypeField(name=f.name, label=f.label, kind=f.kind, required=f.required) for f in fields]


def _proposed_event(p: ProposalRow) -> LicenseTypeProposed:
    return LicenseTypeProposed(proposal_id=p.proposal_id, change_of=p.change_of, name=p.name, sector=p.sector,
                               holder_kind=p.holder_kind, fields=_wire(p.fields), round=p.rounds)


async def propose(cmd: c.ProposeType, uow: ElicenseUnitOfWork, types: dict[str, LicenseType]) -> ProposalRow:
    _may_propose_for(cmd.actor, cmd.proposer)
    try:
        validate_uscc(cmd.proposer)  # its range holds the type's code
    except ValueError as exc:
        raise _invalid(f"proposer: the department issuing the type (its USCC): {exc}") from None
    fields = _checked(cmd.name, cmd.sector, cmd.holder_kind, cmd.fields)
    if cmd.change_of is not None:
        current = types.get(cmd.change_of)
        if current is None:
            raise not_found("license type", cmd.change_of)
        if cmd.holder_kind != current.holder_kind:
            raise _invalid(f"holder_kind: licenses of {cmd.change_of} are held by {current.holder_kind}; a change "
                           "of fields keeps it (propose a new type instead)")
    else:
        same = next((t for t in types.values() if t.name == cmd.name.strip()), None)
        if same is not None:
            raise conflict(f"{cmd.name} is registered already as {same.code}; propose a change of its fields")
    row = ProposalRow(proposal_id=f"ltp-{uuid.uuid4().hex[:12]}", proposer=cmd.proposer, change_of=cmd.change_of,
                      name=cmd.name.strip(), sector=cmd.sector.strip(), holder_kind=cmd.holder_kind, fields=fields,
                      status="proposed", proposed_at=cmd.at, proposed_by=cmd.actor.subject,
                      due_at=working_deadline(cmd.at, REVIEW_WORKING_DAYS))
    async with uow:
        if cmd.change_of is not None and (other := await uow.types.open_change(cmd.change_of)) is not None:
            raise conflict(f"a change of {cmd.change_of} is under review already ({other})")
        await uow.types.insert_proposal(row)
        uow.emit(_proposed_event(row), unit=cmd.proposer, at=cmd.at)
        await uow.commit()
    return row


async def resubmit(cmd: c.ResubmitType, uow: ElicenseUnitOfWork) -> ProposalRow:
    fields = _checked(cmd.name, cmd.sector, cmd.holder_kind, cmd.fields)
    async with uow:
        row = await uow.types.proposal(cmd.proposal_id, lock=True)
        if row is None:
            raise not_found("license-type proposal", cmd.proposal_id)
        _may_propose_for(cmd.actor, row.proposer)
        if row.status != "returned":
            raise conflict(f"proposal {row.proposal_id} is {row.status}; only a returned proposal is resubmitted")
        if row.change_of is not None and cmd.holder_kind != row.holder_kind:
            raise _invalid("holder_kind: a change of fields keeps the type's holders")
        row = replace(row, name=cmd.name.strip(), sector=cmd.sector.strip(), holder_kind=cmd.holder_kind,
                      fields=fields, status="proposed", proposed_at=cmd.at, proposed_by=cmd.actor.subject,
                      due_at=working_deadline(cmd.at, REVIEW_WORKING_DAYS), reviewed_at=None, reviewed_by=None,
                      rounds=row.rounds + 1)
        await uow.types.save_proposal(row)
        uow.emit(_proposed_event(row), unit=row.proposer, at=cmd.at)
        await uow.commit()
    return row


async def review(cmd: c.ReviewType, uow: ElicenseUnitOfWork, types: dict[str, LicenseType]) -> ProposalRow:
    """The bureau registers a proposal or returns it, once per round."""
    if cmd.actor.role is not Role.operator:
        raise forbidden("only the bureau (operator) reviews license-type proposals")
    if not cmd.register:
        _check_reasons(cmd)
    async with uow:
        row = await uow.types.proposal(cmd.proposal_id, lock=True)
        if row is None:
            raise not_found("license-type proposal", cmd.proposal_id)
        if row.status != "proposed":
            raise conflict(f"proposal {row.proposal_id} was {row.status} already")
        _check_reasons(cmd, row)
        if cmd.register:
            kind = await _registered(cmd, row, uow, types)
            await uow.types.insert_version(kind, row.proposal_id, cmd.at, cmd.actor.subject)
            row = replace(row, status="registered", reviewed_at=cmd.at, reviewed_by=cmd.actor.subject,
                          code=kind.code, version=kind.version)
            uow.emit(LicenseTypeRegistered(proposal_id=row.proposal_id, code=kind.code, version=kind.version,
                                           name=kind.name, holder_kind=kind.holder_kind, fields=_wire(kind.fields)),
                     unit=row.proposer, at=cmd.at)
        else:
            assert cmd.reason is not None
            row = replace(row, status="returned", reviewed_at=cmd.at, reviewed_by=cmd.actor.subject,
                          reason=cmd.reason, field_reasons=dict(cmd.field_reasons))
            uow.emit(LicenseTypeReturned(proposal_id=row.proposal_id, reason=cmd.reason,
                                         field_reasons=dict(cmd.field_reasons)), unit=row.proposer, at=cmd.at)
        await uow.types.save_proposal(row)
        await uow.commit()
    return row


def _check_reasons(cmd: c.ReviewType, row: ProposalRow | None = None) -> None:
    if cmd.register:
        if cmd.reason is not None or cmd.field_reasons:
            raise _invalid("reason: a registration gives none (a return does)")
        return
    if cmd.code is not None:
        raise _invalid("code: a return assigns none")
    if not (cmd.reason or "").strip():
        raise _invalid("reason: a return says why")
    if row is None:
        return
    allowed = {*REVIEWABLE, *(f"fields.{f.name}" for f in row.fields)}
    for key, why in cmd.field_reasons.items():
        if key not in allowed:
            raise _invalid(f"field_reasons.{key}: not a part of the proposal ({', '.join(sorted(allowed))})")
        if not why.strip():
            raise _invalid(f"field_reasons.{key}: must say why")


async def _registered(cmd: c.ReviewType, row: ProposalRow, uow: ElicenseUnitOfWork,
                      types: dict[str, LicenseType]) -> LicenseType:
    """The type as registered: a new code in the proposer's range (GB/T 36904: the competent department's
    USCC and a serial), or the next version of the changed type."""
    if row.change_of is not None:
        if cmd.code is not None and cmd.code != row.change_of:
            raise _invalid(f"code: a change of fields keeps the type's code {row.change_of}")
        current = types[row.change_of]
        return LicenseType(current.code, row.name, row.sector, current.holder_kind, row.fields,
                           current.version + 1, "registered")
    same = next((t for t in types.values() if t.name == row.name), None)
    if same is not None:  # two proposals of one name: the first registered keeps it
        raise conflict(f"{row.name} was registered as {same.code} meanwhile; return this proposal, or propose a "
                       "change of that type's fields")
    taken = {code for code in types if code[:18] == row.proposer} | await uow.types.codes_with_prefix(row.proposer)
    try:
        if cmd.code is None:
            code = next_code(row.proposer, taken)
        else:
            code = check_code(cmd.code)
            if code[:18] != row.proposer:
                raise TypeInvalid(f"code: {code} is not in the range of the proposing department {row.proposer} "
                                  "(its USCC and a serial)")
            if code in taken:
                raise TypeInvalid(f"code: {code} is registered already")
    except TypeInvalid as exc:
        raise _invalid(str(exc)) from None
    return LicenseType(code, row.name, row.sector, row.holder_kind, row.fields, 1, "registered")  # type: ignore[arg-type]
