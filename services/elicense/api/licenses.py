"""Pushing licenses one at a time (manual, automatic incremental), files, revocation, reading,
verification by number, lookup by holder id, download."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

import asyncpg
from contracts import new_envelope
from contracts.elicense import LicensePushed, LicenseRevoked
from fastapi import APIRouter, Query, Request, Response
from hubkit import outbox
from hubkit.audit import note_target
from hubkit.auth import CurrentPrincipal, Principal, Role
from hubkit.problems import Problem, conflict, forbidden, not_found
from pydantic import AwareDatetime, BaseModel, Field

from elicense.api.authorisations import authorised
from elicense.api.deps import SCHEMA, issuer_for, library, local_iso, now_of, pool, today_of, write_instant
from elicense.domain.files import FileRejected, VerifiedFile, verify_file
from elicense.domain.holders import validate_holder_id
from elicense.domain.licenses import LicenseData, LicenseInvalid, check, effective_status
from elicense.library import Library
from elicense.storage import licenses as repo

router = APIRouter(tags=["licenses"])
MEDIA = {"pdf": "application/pdf", "ofd": "application/ofd"}


class LicenseIn(BaseModel):
    """A license's structured data (also one line of a stock import)."""

    license_id: str = Field(description="the issuer's id of this license, unique in the library; pushes are "
                                        "idempotent on it", examples=["GX-SCJG-2019-000123"])
    license_type: str = Field(description="national license-type code (GET /license-types)")
    number: str = Field(description="证照编号 printed on the license")
    holder_name: str
    holder_id: str = Field(description="citizen id number (GB 11643) or USCC of the holder; stored only as a "
                                       "keyed hash, never in events or logs")
    issue_date: date
    issuing_authority: str
    valid_from: date | None = Field(None, description="defaults to issue_date")
    valid_until: date | None = Field(None, description="null: no expiry (长期)")
    status: Literal["valid", "revoked"] = "valid"


class PushBody(BaseModel):
    license: LicenseIn
    mode: Literal["auto_incremental", "manual"] = Field(
        "manual", description="auto_incremental: system to system; manual: keyed in at a desk")
    file_base64: str | None = Field(None, description="the license file (PDF or OFD), base64")
    file_format: Literal["pdf", "ofd"] | None = Field(None, description="what the caller says the file is; "
                                                                       "the bytes decide, a mismatch is refused")
    keep_without_file: bool = Field(False, description="if the file is refused, still accept the structured "
                                                       "license (without a file) instead of refusing the push")
    issuer: str | None = Field(None, description="the bureau pushing for an issuer; departments: their own")
    occurred_at: AwareDatetime | None = Field(None, description="the bureau loading history only")


class RevokeBody(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


class LookupBody(BaseModel):
    holder_id: str = Field(description="sent in the body so it never appears in a URL or an access log")
    license_type: str | None = None


def _invalid(detail: str, kind: str = "invalid-request") -> Problem:
    return Problem(422, "Invalid request", detail, kind=kind)


async def verify_upload(request: Request, data: bytes, claimed: str | None) -> VerifiedFile:
    lib = library(request)
    if len(data) > lib.settings.max_file_bytes:
        raise Problem(413, "File too large", f"license files are limited to {lib.settings.max_file_bytes} bytes",
                      kind="file-too-large")
    verified = await asyncio.to_thread(verify_file, data, lib.trust_roots, claimed)
    await lib.store.put(data)
    return verified


def public_view(row: asyncpg.Record | dict[str, Any], today: date, lib_types: dict[str, Any]) -> dict[str, Any]:
    t = lib_types.get(row["license_type"])
    file = None
    if row["file_sha256"]:
        file = {"sha256": row["file_sha256"], "format": row["file_format"], "size": row["file_size"],
                "sealed": row["sealed"], "download": f"/licenses/{row['license_id']}/file"}
    return {
        "license_id": row["license_id"], "license_type": row["license_type"], "type_name": t.name if t else None,
        "number": row["number"], "holder_name": row["holder_name"], "holder_id_masked": row["holder_mask"],
        "issuer": row["issuer"], "issuing_authority": row["authority"], "issue_date": row["issue_date"].isoformat(),
        "valid_from": row["valid_from"].isoformat(),
        "valid_until": row["valid_until"].isoformat() if row["valid_until"] else None,
        "status": effective_status(row["status"], row["valid_until"], today), "sealed": row["sealed"],
        "push_mode": row["push_mode"], "pushed_at": local_iso(row["pushed_at"]),
        "updated_at": local_iso(row["updated_at"]), "revoked_at": local_iso(row["revoked_at"]),
        "revoke_reason": row["revoke_reason"], "file": file,
    }


def _file_view(v: VerifiedFile) -> dict[str, Any]:
    return {"sha256": v.sha256, "format": v.format, "size": v.size, "pages": v.pages, "sealed": v.sealed,
            "signatures": [{"field": s.field, "signer": s.signer, "intact": s.intact, "trusted": s.trusted,
                            "valid": s.valid, "reason": s.reason} for s in v.signatures]}


@router.post("/licenses", summary="Push one license (manual or automatic incremental), optionally with its file",
             responses={422: {"description": "invalid license, or a file that is not what it claims"},
                        409: {"description": "the license id belongs to another issuer, or it was revoked"}})
async def push(body: PushBody, request: Request, response: Response, principal: CurrentPrincipal) -> dict[str, Any]:
    """Idempotent on license_id: the same push again changes nothing and emits nothing; a changed
    license (or a file added) is updated and pushed again. The service decides the file's format and
    whether it carries a valid unified e-seal from the bytes."""
    lib = library(request)
    issuer = issuer_for(principal, body.issuer)
    at = write_instant(request, principal, body.occurred_at)
    try:
        lic = check(LicenseData(**body.license.model_dump()), lib.types, lib.hasher)
    except LicenseInvalid as exc:
        raise _invalid(f"license.{exc}") from None
    verified, file_refused = None, None
    if body.file_base64 is not None:
        try:
            data = base64.b64decode(body.file_base64, validate=True)
        except binascii.Error:
            raise _invalid("file_base64: not valid base64") from None
        try:
            verified = await verify_upload(request, data, body.file_format)
        except FileRejected as exc:
            if not body.keep_without_file:
                raise _invalid(f"file: {exc.reason}", kind="file-rejected") from None
            file_refused = exc.reason
    async with pool(request).acquire() as conn, conn.transaction():
        existing = await repo.get(conn, lic.license_id, lock=True)
        if existing is not None and existing["issuer"] != issuer:
            raise conflict(f"license id {lic.license_id} belongs to another issuer; license ids are unique "
                           "in the library")
        if existing is not None and existing["status"] == "revoked":
            raise conflict(f"license {lic.license_id} was revoked; a revoked license is not pushed again")
        if verified is not None:
            await repo.save_file(conn, verified)
            sha, sealed, fmt = verified.sha256, verified.sealed, verified.format
        elif existing is not None and existing["file_sha256"]:
            sha, sealed, fmt = existing["file_sha256"], existing["sealed"], existing["file_format"]
        else:
            sha, sealed, fmt = None, False, None
        if existing is None:
            await repo.insert_one(conn, lic, issuer, body.mode, at, sha, sealed)
            outcome = "created"
        elif existing["fingerprint"] == lic.fingerprint and existing["file_sha256"] == sha:
            outcome = "unchanged"
        else:
            await repo.update_one(conn, lic, at, sha, sealed)
            outcome = "updated"
        if outcome != "unchanged":
            events = [new_envelope(LicensePushed(license_id=lic.license_id, license_type=lic.license_type,
                                                 push_mode=body.mode, file_format=fmt, sealed=sealed),
                                   unit=issuer, occurred_at=at)]
            if lic.status == "revoked":
                events.append(new_envelope(LicenseRevoked(license_id=lic.license_id, license_type=lic.license_type,
                                                          reason=None), unit=issuer, occurred_at=at))
            await outbox.add(conn, SCHEMA, events)
    response.status_code = 201 if outcome == "created" else 200
    return {"license_id": lic.license_id, "outcome": outcome, "sealed": sealed, "file_format": fmt,
            "file": _file_view(verified) if verified else None, "file_refused": file_refused}


@router.put("/licenses/{license_id}/file", summary="Attach or replace a license's file (raw PDF or OFD bytes)",
            openapi_extra={"requestBody": {"content": {m: {"schema": {"type": "string", "format": "binary"}}
                                                       for m in (*MEDIA.values(), "application/octet-stream")}}})
async def attach_file(license_id: str, request: Request, principal: CurrentPrincipal,
                      mode: Literal["auto_incremental", "manual"] = "manual") -> dict[str, Any]:
    """The body is the file; Content-Type application/pdf or application/ofd states the caller's claim
    (octet-stream: no claim). A file that is not what it claims is refused with the reason."""
    principal.require(Role.department, Role.operator)
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    claimed = {v: k for k, v in MEDIA.items()}.get(content_type)
    data = await request.body()
    if not data:
        raise _invalid("body: the file is empty")
    async with pool(request).acquire() as conn:
        row = await repo.get(conn, license_id)
    if row is None:
        raise not_found("license", license_id)
    if principal.role is Role.department and row["issuer"] != principal.unit:
        raise forbidden(f"license {license_id} was issued by {row['issuer']}, not by {principal.unit}")
    try:
        verified = await verify_upload(request, data, claimed)
    except FileRejected as exc:
        raise _invalid(f"file: {exc.reason}", kind="file-rejected") from None
    at = now_of(request)
    async with pool(request).acquire() as conn, conn.transaction():
        row = await repo.get(conn, license_id, lock=True)
        assert row is not None
        if row["status"] == "revoked":
            raise conflict(f"license {license_id} was revoked")
        await repo.save_file(conn, verified)
        changed = row["file_sha256"] != verified.sha256
        if changed:
            await conn.execute("UPDATE licenses SET file_sha256 = $2, sealed = $3, updated_at = $4 "
                               "WHERE license_id = $1", license_id, verified.sha256, verified.sealed, at)
            await outbox.add(conn, SCHEMA, new_envelope(
                LicensePushed(license_id=license_id, license_type=row["license_type"], push_mode=mode,
                              file_format=verified.format, sealed=verified.sealed), unit=row["issuer"], occurred_at=at))
    return {"license_id": license_id, "changed": changed, "file": _file_view(verified)}


@router.post("/licenses/{license_id}/revoke", summary="Revoke a license (its issuer or the bureau)")
async def revoke(license_id: str, body: RevokeBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    principal.require(Role.department, Role.operator)
    at = now_of(request)
    async with pool(request).acquire() as conn, conn.transaction():
        row = await repo.get(conn, license_id, lock=True)
        if row is None:
            raise not_found("license", license_id)
        if principal.role is Role.department and row["issuer"] != principal.unit:
            raise forbidden(f"license {license_id} was issued by {row['issuer']}, not by {principal.unit}")
        if row["status"] == "revoked":
            return {"license_id": license_id, "status": "revoked", "changed": False}
        await conn.execute("UPDATE licenses SET status = 'revoked', revoked_at = $2, revoke_reason = $3, "
                           "updated_at = $2 WHERE license_id = $1", license_id, at, body.reason)
        await outbox.add(conn, SCHEMA, new_envelope(
            LicenseRevoked(license_id=license_id, license_type=row["license_type"], reason=body.reason),
            unit=row["issuer"], occurred_at=at))
    return {"license_id": license_id, "status": "revoked", "changed": True}


def _may_read_details(principal: Principal, issuer: str) -> None:
    if principal.role is Role.department and principal.unit != issuer:
        raise forbidden("a department reads the details of its own licenses only; others use GET /verify")


@router.get("/licenses/{license_id}", summary="A license (its issuer, the bureau, auditors, inspectors)")
async def read(license_id: str, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    principal.require(Role.department, Role.operator, Role.auditor, Role.inspector)
    async with pool(request).acquire() as conn:
        row = await repo.get(conn, license_id)
        if row is None:
            raise not_found("license", license_id)
        _may_read_details(principal, row["issuer"])
        file = await repo.file_row(conn, row["file_sha256"]) if row["file_sha256"] else None
    view = public_view(row, today_of(request), library(request).types)
    if file is not None:
        view["file"]["signatures"] = repo.signatures_of(file)
    return view


def holder_target(lib: Library) -> Callable[[str], str]:
    """`GET /audit?target=<holder id>`: the trail's name for that holder (its keyed hash)."""

    def target(value: str) -> str:
        try:
            return "holder:" + lib.hasher.digest(validate_holder_id(value, "either")).hex()
        except ValueError:
            return value

    return target


async def may_see_personal(conn: Any, principal: Principal, issuer: str, license_type: str) -> bool:
    """Holder names and license files: the issuer, units it authorised to use its licenses of that
    type, the bureau and auditors."""
    if principal.role in (Role.operator, Role.auditor):
        return True
    return principal.role is Role.department and await authorised(conn, issuer, principal.unit or "", license_type)


def verification_view(view: dict[str, Any]) -> dict[str, Any]:
    """What anyone signed in learns by verifying a number: that the license exists, its type, issuer,
    validity and seal; not whose it is (the holder's name is masked) nor its file."""
    name = view["holder_name"] or ""
    masked = name[:1] + "*" * max(1, len(name) - 1) if name else None
    file = view["file"]
    return {**{k: v for k, v in view.items() if k not in ("holder_name", "file", "revoke_reason")},
            "holder_name_masked": masked,
            "file": {"format": file["format"], "sealed": file["sealed"]} if file else None}


@router.get("/verify", summary="Verify a license by its number (anyone signed in): status, seal, file")
async def verify(request: Request, principal: CurrentPrincipal,
                 number: Annotated[str, Query(min_length=1, max_length=80)],
                 license_type: str | None = None) -> list[dict[str, Any]]:
    """Every license with that number (renewals share numbers), newest first, with its current status
    (valid, expired or revoked) and whether its file carries a valid unified e-seal. The holder's name
    and the file are shown only to who may see them (`may_see_personal`)."""
    async with pool(request).acquire() as conn:
        rows = await conn.fetch(
            "SELECT l.*, f.format AS file_format, f.size AS file_size FROM licenses l "
            "LEFT JOIN files f ON f.sha256 = l.file_sha256 WHERE l.number = $1 "
            "AND ($2::text IS NULL OR l.license_type = $2) ORDER BY l.issue_date DESC, l.license_id LIMIT 50",
            number.strip(), license_type)
        allowed = [await may_see_personal(conn, principal, r["issuer"], r["license_type"]) for r in rows]
    today, types = today_of(request), library(request).types
    return [public_view(r, today, types) if ok else verification_view(public_view(r, today, types))
            for r, ok in zip(rows, allowed, strict=True)]


@router.post("/licenses/lookup", summary="A holder's licenses by holder id (service windows, the bureau)")
async def lookup(body: LookupBody, request: Request, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """A department finds only licenses it may use (its own, or of issuers that authorised it)."""
    principal.require(Role.department, Role.operator, Role.auditor)
    lib = library(request)
    try:
        holder = validate_holder_id(body.holder_id, "either")
    except ValueError as exc:
        raise _invalid(f"holder_id: {exc}") from None
    note_target(request, "holder:" + lib.hasher.digest(holder).hex())  # the trail names the holder by hash
    async with pool(request).acquire() as conn:
        rows = await conn.fetch(
            "SELECT l.*, f.format AS file_format, f.size AS file_size FROM licenses l "
            "LEFT JOIN files f ON f.sha256 = l.file_sha256 WHERE l.holder_hash = $1 "
            "AND ($2::text IS NULL OR l.license_type = $2) ORDER BY l.issue_date DESC LIMIT 200",
            lib.hasher.digest(holder), body.license_type)
        rows = [r for r in rows if await may_see_personal(conn, principal, r["issuer"], r["license_type"])]
    today = today_of(request)
    return [public_view(r, today, lib.types) for r in rows]


@router.get("/licenses/{license_id}/file",
            summary="Download a license's file (its issuer, units it authorised, the bureau, auditors)",
            responses={200: {"content": {m: {} for m in MEDIA.values()}}})
async def download(license_id: str, request: Request, principal: CurrentPrincipal) -> Response:
    async with pool(request).acquire() as conn:
        row = await repo.get(conn, license_id)
        if row is None:
            raise not_found("license", license_id)
        if not await may_see_personal(conn, principal, row["issuer"], row["license_type"]):
            raise forbidden(f"the file of {license_id} is for its issuer, units it authorised to use its "
                            "licenses, the bureau and auditors")
    if not row["file_sha256"]:
        raise not_found("file of license", license_id)
    data = await library(request).store.get(row["file_sha256"])
    if data is None:
        raise Problem(503, "File unavailable", "the blob store does not have the file", kind="blob-missing")
    return Response(data, media_type=MEDIA[row["file_format"]], headers={
        "ETag": f'"{row["file_sha256"]}"', "Cache-Control": "private, max-age=86400, immutable",
        "Content-Disposition": f'attachment; filename="{license_id}.{row["file_format"]}"'})

