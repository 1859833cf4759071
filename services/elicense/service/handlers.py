"""The e-license library's write use cases: one handler per command, each one transaction and its events."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.elicense import (
    AnomalyFound,
    LicenseCorrected,
    LicenseFlagged,
    LicensePushed,
    LicenseRevoked,
    LicenseUsed,
    TypesClaimed,
)
from contracts.workdays import SHANGHAI
from hubkit.auth import Principal, Role
from hubkit.problems import Problem, conflict, forbidden, not_found

from elicense.domain.anomalies import ANOMALY_CODES, Anomaly, anomalies_of, file_mismatch, reconcile, unjudged
from elicense.domain.files import FileRejected, VerifiedFile
from elicense.domain.license_types import LicenseType
from elicense.domain.licenses import (
    CheckedLicense,
    HolderHasher,
    LicenseInvalid,
    check,
    effective_status,
    push_outcome,
)
from elicense.domain.service_items import ItemInvalid, ServiceItem, waived
from elicense.service import commands as c
from elicense.service.ports import ElicenseUnitOfWork, FileVerifier, Row


def _invalid(detail: str, kind: str = "invalid-request") -> Problem:
    return Problem(422, "Invalid request", detail, kind=kind)


def _issued_by(actor: Principal, license_id: str, issuer: str) -> None:
    """A department acts on the licenses it issued only; the bureau on any."""
    if actor.role is Role.department and issuer != actor.unit:
        raise forbidden(f"license {license_id} was issued by {issuer}, not by {actor.unit}")


async def _pushed_file(cmd: c.PushLicense, verify: FileVerifier) -> tuple[VerifiedFile | None, str | None]:
    """(the verified file or None, why it was refused when the license may go without it)."""
    if cmd.file is None:
        return None, None
    try:
        return await verify(cmd.file, cmd.file_format), None
    except FileRejected as exc:
        if not cmd.keep_without_file:
            raise _invalid(f"file: {exc.reason}", kind="file-rejected") from None
        return None, exc.reason


def _may_push(existing: Row | None, license_id: str, issuer: str) -> None:
    if existing is not None and existing["issuer"] != issuer:
        raise conflict(f"license id {license_id} belongs to another issuer; license ids are unique in the library")
    if existing is not None and existing["status"] == "revoked":
        raise conflict(f"license {license_id} was revoked; a revoked license is not pushed again")


def _file_after(existing: Row | None, verified: VerifiedFile | None) -> tuple[str | None, bool, str | None]:
    """(sha256, sealed, format) of the license's file after the push: the new one, else the one it had."""
    if verified is not None:
        return verified.sha256, verified.sealed, verified.format
    if existing is not None and existing["file_sha256"]:
        return existing["file_sha256"], existing["sealed"], existing["file_format"]
    return None, False, None


@dataclass(frozen=True)
class Pushed:
    license_id: str
    outcome: str
    sealed: bool
    file_format: str | None
    file: VerifiedFile | None
    file_refused: str | None


async def push_license(cmd: c.PushLicense, uow: ElicenseUnitOfWork, types: dict[str, LicenseType],
                       hasher: HolderHasher, verify: FileVerifier) -> Pushed:
    """Idempotent on license_id: the same push again changes nothing and says nothing; a changed license
    (or a file added) is updated and said again. The bytes decide the file's format and seal."""
    try:
        lic = check(cmd.license, types, hasher)
    except LicenseInvalid as exc:
        raise _invalid(f"license.{exc}") from None
    verified, refused = await _pushed_file(cmd, verify)
    async with uow:
        existing = await uow.licenses.get(lic.license_id, lock=True)
        _may_push(existing, lic.license_id, cmd.issuer)
        if verified is not None:
            await uow.licenses.save_file(verified)
        sha, sealed, fmt = _file_after(existing, verified)
        outcome = push_outcome(existing["fingerprint"] if existing else None,
                               existing["file_sha256"] if existing else None, lic, sha)
        if outcome == "created":
            await uow.licenses.insert_one(lic, cmd.issuer, cmd.mode, cmd.at, sha, sealed)
        elif outcome == "updated":
            await uow.licenses.update_one(lic, cmd.at, sha, sealed)
        if outcome != "unchanged":
            uow.emit(LicensePushed(license_id=lic.license_id, license_type=lic.license_type,
                                   push_mode=cmd.mode, file_format=fmt, sealed=sealed),
                     unit=cmd.issuer, at=cmd.at)
            if lic.status == "revoked":
                uow.emit(LicenseRevoked(license_id=lic.license_id, license_type=lic.license_type, reason=None),
                         unit=cmd.issuer, at=cmd.at)
            await _check_data(uow, lic, cmd, verified.text if verified is not None else None)
        await uow.commit()
    return Pushed(lic.license_id, outcome, sealed, fmt, verified, refused)


async def _check_data(uow: ElicenseUnitOfWork, lic: CheckedLicense, cmd: c.PushLicense,
                      file_text: str | None) -> None:
    """Abnormal data back to its issuer: what this push shows wrong is flagged, what it no longer shows is
    corrected (each an event with the time it took)."""
    same = await uow.licenses.same_number(cmd.issuer, lic.license_type, lic.number, lic.license_id) \
        if lic.status == "valid" else []
    pushed_on = cmd.at.astimezone(SHANGHAI).date()
    await _record_anomalies(uow, lic.license_id, lic.license_type, cmd.issuer, cmd.at,
                            anomalies_of(lic, pushed_on, same, file_text), unjudged(file_text))


async def _record_anomalies(uow: ElicenseUnitOfWork, license_id: str, license_type: str, issuer: str,
                            at: datetime, found: list[Anomaly], not_judged: Collection[str]) -> None:
    rows = uow.licenses
    open_now = await rows.open_anomalies(license_id)
    new, corrected = reconcile(set(open_now), found, not_judged)
    for a in new:
        await rows.flag(license_id=license_id, issuer=issuer, license_type=license_type, code=a.code,
                        detail=a.detail, at=at)
    if new:
        uow.emit(LicenseFlagged(license_id=license_id, license_type=license_type,
                                anomalies=[AnomalyFound(code=a.code, detail=a.detail) for a in new]),
                 unit=issuer, at=at)
    for code in sorted(corrected):
        await rows.correct(license_id, code, at)
        uow.emit(LicenseCorrected(license_id=license_id, license_type=license_type, code=code,
                                  flagged_at=open_now[code],
                                  seconds_to_correct=max(0, int((at - open_now[code]).total_seconds()))),
                 unit=issuer, at=at)


async def attach_file(cmd: c.AttachFile, uow: ElicenseUnitOfWork, verify: FileVerifier) -> tuple[bool, VerifiedFile]:
    """Attach or replace a license's file; (changed, the verified file). The file is checked outside the
    transaction (it may take a while); the license is checked before and again inside it."""
    async with uow:
        row = await uow.licenses.get(cmd.license_id)
        if row is None:
            raise not_found("license", cmd.license_id)
        _issued_by(cmd.actor, cmd.license_id, row["issuer"])
    try:
        verified = await verify(cmd.file, cmd.claimed_format)
    except FileRejected as exc:
        raise _invalid(f"file: {exc.reason}", kind="file-rejected") from None
    async with uow:
        row = await uow.licenses.get(cmd.license_id, lock=True)
        assert row is not None
        if row["status"] == "revoked":
            raise conflict(f"license {cmd.license_id} was revoked")
        await uow.licenses.save_file(verified)
        changed = row["file_sha256"] != verified.sha256
        if changed:
            await uow.licenses.set_file(cmd.license_id, verified.sha256, verified.sealed, cmd.at)
            uow.emit(LicensePushed(license_id=cmd.license_id, license_type=row["license_type"],
                                   push_mode=cmd.mode, file_format=verified.format,
                                   sealed=verified.sealed), unit=row["issuer"], at=cmd.at)
            if verified.text is not None:  # the new file against the license's number; nothing else is judged
                mismatch = file_mismatch(row["number"], verified.text)
                await _record_anomalies(uow, cmd.license_id, row["license_type"], row["issuer"], cmd.at,
                                        [mismatch] if mismatch else [], ANOMALY_CODES - {"file-mismatch"})
        await uow.commit()
    return changed, verified


async def revoke_license(cmd: c.RevokeLicense, uow: ElicenseUnitOfWork) -> bool:
    """Revoke; False when it was revoked already (nothing said twice)."""
    async with uow:
        row = await uow.licenses.get(cmd.license_id, lock=True)
        if row is None:
            raise not_found("license", cmd.license_id)
        _issued_by(cmd.actor, cmd.license_id, row["issuer"])
        if row["status"] == "revoked":
            return False
        await uow.licenses.revoke(cmd.license_id, cmd.reason, cmd.at)
        uow.emit(LicenseRevoked(license_id=cmd.license_id, license_type=row["license_type"], reason=cmd.reason),
                 unit=row["issuer"], at=cmd.at)
        await uow.commit()
    return True


def _claim_errors(cmd: c.ClaimTypes, types: dict[str, LicenseType]) -> list[str]:
    errors = [f"license_types.{i}: {code!r} is not a registered license type"
              for i, code in enumerate(cmd.license_types) if code not in types]
    if len(set(cmd.license_types)) != len(cmd.license_types):
        errors.append("license_types: a type is listed twice")
    for code, count in (cmd.stock or {}).items():
        if code not in cmd.license_types:
            errors.append(f"stock.{code}: stock declared for a type that is not claimed")
        if count < 0:
            errors.append(f"stock.{code}: must not be negative")
    return errors


async def claim_types(cmd: c.ClaimTypes, uow: ElicenseUnitOfWork, types: dict[str, LicenseType]
                      ) -> dict[str, Any]:
    """Replace the unit's claim; the same claim again changes nothing and says nothing."""
    if errors := _claim_errors(cmd, types):
        raise _invalid("; ".join(errors))
    claimed = sorted(cmd.license_types)
    declared = sum(cmd.stock.values()) if cmd.stock is not None else None
    async with uow:
        old = await uow.licenses.claim_for_update(cmd.unit)
        same = old is not None and list(old["license_types"]) == claimed and old["declared_stock"] == declared \
            and dict(old["stock"]) == (cmd.stock or {})
        if not same:
            await uow.licenses.save_claim(cmd.unit, claimed, cmd.stock or {}, declared, cmd.at)
            uow.emit(TypesClaimed(license_types=claimed, declared_stock=declared), unit=cmd.unit, at=cmd.at)
        await uow.commit()
    return {"unit": cmd.unit, "license_types": claimed, "declared_stock": declared, "changed": not same}


def _may_grant(actor: Principal, issuer: str) -> None:
    if actor.role is Role.department and actor.unit != issuer:
        raise forbidden(f"only {issuer} itself or the bureau may authorise uses of its licenses")


async def grant_use(cmd: c.GrantUse, uow: ElicenseUnitOfWork) -> list[str] | None:
    """Authorise a unit to use the issuer's licenses (of these types; None: every type)."""
    _may_grant(cmd.actor, cmd.issuer)
    types = sorted(set(cmd.license_types)) if cmd.license_types is not None else None
    async with uow:
        await uow.licenses.grant_use(cmd.issuer, cmd.user_unit, types, cmd.actor.subject, cmd.at)
        await uow.commit()
    return types


async def withdraw_use(cmd: c.WithdrawUse, uow: ElicenseUnitOfWork) -> None:
    """Later uses are refused; earlier ones stand."""
    _may_grant(cmd.actor, cmd.issuer)
    async with uow:
        if not await uow.licenses.withdraw_use(cmd.issuer, cmd.user_unit, cmd.actor.subject, cmd.at):
            raise not_found("use authorisation", f"{cmd.issuer} → {cmd.user_unit}")
        await uow.commit()


def _what_was_waived(cmd: c.RecordUse, item: ServiceItem | None, license_type: str) -> tuple[str, int, tuple[str, ...]]:
    """(item as recorded, materials waived, their names) of a use: a listed item's names come from its list."""
    if item is None:
        if not (cmd.item or "").strip() or cmd.waived_materials is None or cmd.materials:
            raise _invalid("item_code: name a listed service item and the materials waived (GET /service-items); "
                           "a window not on the list yet gives item and waived_materials instead")
        return cmd.item or "", cmd.waived_materials, ()
    try:
        names = waived(item, license_type, cmd.materials)
    except ItemInvalid as exc:
        raise _invalid(str(exc)) from None
    if cmd.waived_materials is not None and cmd.waived_materials != len(names):
        raise _invalid(f"waived_materials: {cmd.waived_materials}, but {len(names)} materials are named")
    return item.name, len(names), names


async def record_use(cmd: c.RecordUse, uow: ElicenseUnitOfWork) -> dict[str, Any]:
    """The using unit is the caller's and needs the issuer's (or the bureau's) authorisation; an expired
    or revoked license cannot be used; a listed item takes the license's type and the materials its list
    says that type replaces; the same use id again is the same use."""
    user = cmd.actor.unit or ""
    async with uow:
        known = await uow.licenses.use(cmd.use_id, lock=True)  # the same use at two replicas: one records it
        if known is not None:
            if known["user_unit"] != user or known["license_id"] != cmd.license_id:
                raise conflict(f"use id {cmd.use_id} was recorded for another use")
            return {"use_id": cmd.use_id, "recorded": False, "used_at": known["used_at"]}
        lic = await uow.licenses.get(cmd.license_id)
        if lic is None:
            raise not_found("license", cmd.license_id)
        item = None
        if cmd.item_code is not None:
            item = await uow.items.get(cmd.item_code)
            if item is None:
                raise _invalid(f"item_code: {cmd.item_code} is not a listed service item (GET /service-items)")
        what, count, names = _what_was_waived(cmd, item, lic["license_type"])
        if not await uow.licenses.authorised(lic["issuer"], user, lic["license_type"]):
            raise forbidden(f"{user} holds no authorisation from {lic['issuer']} to use licenses of type "
                            f"{lic['license_type']}; the issuer or the bureau grants it "
                            f"(PUT /use-authorisations/{lic['issuer']}/{user})")
        status = effective_status(lic["status"], lic["valid_until"], cmd.today)
        if status != "valid":
            raise Problem(409, "Conflict", f"license {cmd.license_id} is {status} and cannot be used",
                          kind="license-not-valid")
        await uow.licenses.insert_use(use_id=cmd.use_id, license_id=cmd.license_id, user_unit=user, item=what,
                                      waived_materials=count, at=cmd.at, item_code=cmd.item_code, materials=names)
        uow.emit(LicenseUsed(license_id=cmd.license_id, issuer_unit=lic["issuer"], sealed=lic["sealed"],
                             waived_materials=count), unit=user, at=cmd.at)
        await uow.commit()
    return {"use_id": cmd.use_id, "recorded": True, "issuer": lic["issuer"], "sealed": lic["sealed"],
            "used_at": cmd.at, "item": what, "item_code": cmd.item_code, "materials": list(names),
            "waived_materials": count}
