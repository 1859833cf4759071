"""Pushing licenses one at a time (manual, automatic incremental), files, revocation, reading,
verification by number, lookup by holder id, download."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from hubkit.audit import note_target
from hubkit.auth import CurrentPrincipal, Principal, Role
from hubkit.db import json_value
from hubkit.problems import Problem, forbidden, not_found
from pydantic import AwareDatetime, BaseModel, Field

from elicense.api.deps import (
    issuer_for,
    library,
    license_types,
    local_iso,
    now_of,
    pool,
    today_of,
    uow,
    write_instant,
)
from elicense.domain.files import VerifiedFile
from elicense.domain.holders import validate_holder_id
from elicense.domain.licenses import LicenseData, effective_status
from elicense.library import Library
from elicense.service import commands as c
from elicense.service import handlers, queries

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
    fields: dict[str, Annotated[str, Field(max_length=500)]] | None = Field(
        None, max_length=60, description="the type's own data items (照面信息) by field name (GET /license-types/"
                                         "{code}); a required one missing puts the license on the abnormal list")


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


def public_view(row: Mapping[str, Any], today: date, lib_types: dict[str, Any]) -> dict[str, Any]:
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
        "fields": dict(json_value(row["fields"])), "type_version": row["type_version"],
    }


def _file_view(v: VerifiedFile) -> dict[str, Any]:
    return {"sha256": v.sha256, "format": v.format, "size": v.size, "pages": v.pages, "sealed": v.sealed,
            "signatures": [s.as_dict() for s in v.signatures]}


@router.post("/licenses", summary="Push one license (manual or automatic incremental), optionally with its file",
             responses={422: {"description": "invalid license, or a file that is not what it claims"},
                        409: {"description": "the license id belongs to another issuer, or it was revoked"}})
async def push(body: PushBody, request: Request, response: Response, principal: CurrentPrincipal) -> dict[str, Any]:
    """Idempotent on license_id: the same push again changes nothing and emits nothing; a changed
    license (or a file added) is updated and pushed again. The service decides the file's format and
    whether it carries a valid unified e-seal from the bytes."""
    data = None
    if body.file_base64 is not None:
        try:
            data = base64.b64decode(body.file_base64, validate=True)
        except (binascii.Error, ValueError):  # ValueError: characters outside ASCII
            raise _invalid("file_base64: not valid base64") from None
    cmd = c.PushLicense(actor=principal, issuer=issuer_for(principal, body.issuer),
                        license=LicenseData(**body.license.model_dump()), mode=body.mode, file=data,
                        file_format=body.file_format, keep_without_file=body.keep_without_file,
                        at=write_instant(request, principal, body.occurred_at))
    lib = library(request)
    done = await handlers.push_license(cmd, uow(request), await license_types(request), lib.hasher,
                                       lib.verify_and_keep)
    response.status_code = 201 if done.outcome == "created" else 200
    return {"license_id": done.license_id, "outcome": done.outcome, "sealed": done.sealed,
            "file_format": done.file_format, "file": _file_view(done.file) if done.file else None,
            "file_refused": done.file_refused}


@router.put("/licenses/{license_id}/file", summary="Attach or replace a license's file (raw PDF or OFD bytes)",
            openapi_extra={"requestBody": {"content": {m: {"schema": {"type": "string", "format": "binary"}}
                                                       for m in (*MEDIA.values(), "application/octet-stream")}}})
async def attach_file(license_id: str, request: Request, principal: CurrentPrincipal,
                      mode: Literal["auto_incremental", "manual"] = "manual") -> dict[str, Any]:
    """The body is the file; Content-Type application/pdf or application/ofd states the caller's claim
    (octet-stream: no claim). A file that is not what it claims is refused with the reason."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    data = await request.body()
    if not data:
        raise _invalid("body: the file is empty")
    cmd = c.AttachFile(actor=principal, license_id=license_id, file=data, mode=mode, at=now_of(request),
                       claimed_format={v: k for k, v in MEDIA.items()}.get(content_type))
    changed, verified = await handlers.attach_file(cmd, uow(request), library(request).verify_and_keep)
    return {"license_id": license_id, "changed": changed, "file": _file_view(verified)}


@router.post("/licenses/{license_id}/revoke", summary="Revoke a license (its issuer or the bureau)")
async def revoke(license_id: str, body: RevokeBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    cmd = c.RevokeLicense(actor=principal, license_id=license_id, reason=body.reason, at=now_of(request))
    changed = await handlers.revoke_license(cmd, uow(request))
    return {"license_id": license_id, "status": "revoked", "changed": changed}


def _may_read_details(principal: Principal, issuer: str) -> None:
    if principal.role is Role.department and principal.unit != issuer:
        raise forbidden("a department reads the details of its own licenses only; others use GET /verify")


@router.get("/licenses/{license_id}", summary="A license (its issuer, the bureau, auditors, inspectors)")
async def read(license_id: str, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    principal.require(Role.department, Role.operator, Role.auditor, Role.inspector)
    row, signatures = await queries.license_with_signatures(pool(request), license_id)
    if row is None:
        raise not_found("license", license_id)
    _may_read_details(principal, row["issuer"])
    view = public_view(row, today_of(request), await license_types(request))
    if signatures is not None:
        view["file"]["signatures"] = signatures
    return view


def holder_target(lib: Library) -> Callable[[str], str]:
    """`GET /audit?target=<holder id>`: the trail's name for that holder (its keyed hash)."""

    def target(value: str) -> str:
        try:
            return "holder:" + lib.hasher.digest(validate_holder_id(value, "either")).hex()
        except ValueError:
            return value

    return target


def verification_view(view: dict[str, Any]) -> dict[str, Any]:
    """What anyone signed in learns by verifying a number: that the license exists, its type, issuer,
    validity and seal; not whose it is (the holder's name is masked) nor its file."""
    name = view["holder_name"] or ""
    masked = name[:1] + "*" * max(1, len(name) - 1) if name else None
    file = view["file"]
    return {**{k: v for k, v in view.items() if k not in ("holder_name", "file", "revoke_reason", "fields")},
            "holder_name_masked": masked,
            "file": {"format": file["format"], "sealed": file["sealed"]} if file else None}


@router.get("/verify", summary="Verify a license by its number (anyone signed in): status, seal, file")
async def verify(request: Request, principal: CurrentPrincipal,
                 number: Annotated[str, Query(min_length=1, max_length=80)],
                 license_type: str | None = None) -> list[dict[str, Any]]:
    """Every license with that number (renewals share numbers), newest first, with its current status
    (valid, expired or revoked) and whether its file carries a valid unified e-seal. The holder's name
    and the file are shown only to who may see them (`may_see_personal`)."""
    found = await queries.by_number(pool(request), principal, number.strip(), license_type)
    today, types = today_of(request), await license_types(request)
    return [public_view(r, today, types) if ok else verification_view(public_view(r, today, types))
            for r, ok in found]


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
    rows = await queries.by_holder(pool(request), principal, lib.hasher.digest(holder), body.license_type)
    today, types = today_of(request), await license_types(request)
    return [public_view(r, today, types) for r in rows]


@router.get("/licenses/{license_id}/file",
            summary="Download a license's file (its issuer, units it authorised, the bureau, auditors)",
            responses={200: {"content": {m: {} for m in MEDIA.values()}}})
async def download(license_id: str, request: Request, principal: CurrentPrincipal) -> Response:
    row, allowed = await queries.downloadable(pool(request), principal, license_id)
    if row is None:
        raise not_found("license", license_id)
    if not allowed:
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

