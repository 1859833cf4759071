"""A license's structured data, checked the same way whether it comes alone or in a stock import.

The stock path parses JSON Lines with msgspec (millions of lines) and the single-push API with
pydantic (OpenAPI); both end in `check`, so a line accepted in bulk is exactly a license the API
would accept. Status on the wire is what the issuer says (valid or revoked); expiry is read from
`valid_until` against the Shanghai calendar date, never stored, so it cannot go stale.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import msgspec

from elicense.domain.holders import HolderHasher, validate_holder_id
from elicense.domain.license_types import LicenseType, TypeInvalid, check_values

LICENSE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,79}")
Status = Literal["valid", "revoked"]


class LicenseData(msgspec.Struct, forbid_unknown_fields=True):
    """One license as an issuer sends it (a JSON object; a line of a stock import)."""

    license_id: str
    license_type: str
    number: str
    holder_name: str
    holder_id: str
    issue_date: date
    issuing_authority: str
    valid_from: date | None = None
    valid_until: date | None = None
    status: Status = "valid"
    fields: dict[str, str] | None = None  # the type's own data items (照面信息), by field name


@dataclass(frozen=True, slots=True)
class CheckedLicense:
    """What is stored: the holder id replaced by its keyed hash and mask."""

    license_id: str
    license_type: str
    number: str
    holder_name: str
    holder_hash: bytes
    holder_mask: str
    issue_date: date
    valid_from: date
    valid_until: date | None
    authority: str
    status: Status
    fingerprint: bytes
    fields: dict[str, str] = field(default_factory=dict)
    missing: tuple[str, ...] = ()  # required fields of the type it does not carry (abnormal data)
    type_version: int = 1  # the version of the type's field list it was checked against


class LicenseInvalid(ValueError):
    """The license breaks a rule; the message names the field and never contains the holder id."""


def _text(name: str, value: str, limit: int) -> str:
    v = value.strip()
    if not v:
        raise LicenseInvalid(f"{name}: must not be empty")
    if len(v) > limit:
        raise LicenseInvalid(f"{name}: at most {limit} characters")
    return v


def check(data: LicenseData, types: dict[str, LicenseType], hasher: HolderHasher) -> CheckedLicense:
    if not LICENSE_ID.fullmatch(data.license_id):
        raise LicenseInvalid("license_id: 1–80 letters, digits and . _ : - (starting with a letter or digit)")
    kind = types.get(data.license_type)
    if kind is None:
        raise LicenseInvalid(f"license_type: {data.license_type!r} is not a registered license type")
    try:
        values = check_values(data.fields, kind)
    except TypeInvalid as exc:
        raise LicenseInvalid(str(exc)) from None
    try:
        holder_id = validate_holder_id(data.holder_id, kind.holder_kind)
    except ValueError as exc:
        raise LicenseInvalid(f"holder_id: {exc}") from None
    valid_from = data.valid_from or data.issue_date
    if data.valid_until is not None and data.valid_until < valid_from:
        raise LicenseInvalid("valid_until: before valid_from (or issue_date)")
    number = _text("number", data.number, 80)
    name = _text("holder_name", data.holder_name, 200)
    authority = _text("issuing_authority", data.issuing_authority, 200)
    holder_hash = hasher.digest(holder_id)
    parts = [data.license_type, number, name, holder_hash.hex(), data.issue_date.isoformat(), valid_from.isoformat(),
             data.valid_until.isoformat() if data.valid_until else "", authority, data.status]
    if values.values:  # only then: licenses stored before types had fields keep their fingerprints
        parts.append("\x1e".join(f"{k}\x1d{v}" for k, v in sorted(values.values.items())))
    fingerprint = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return CheckedLicense(data.license_id, data.license_type, number, name, holder_hash, hasher.mask(holder_id),
                          data.issue_date, valid_from, data.valid_until, authority, data.status, fingerprint,
                          values.values, values.missing, kind.version)


_decoder = msgspec.json.Decoder(LicenseData)


def parse_line(raw: bytes) -> LicenseData:
    """One JSON Lines record; msgspec's message names the field, e.g.
    "Expected `date`, got `str` - at `$.issue_date`"."""
    try:
        return _decoder.decode(raw)
    except msgspec.ValidationError as exc:
        raise LicenseInvalid(str(exc)) from None
    except msgspec.DecodeError:
        raise LicenseInvalid("not a JSON object") from None


def effective_status(status: str, valid_until: date | None, today: date) -> str:
    if status == "revoked":
        return "revoked"
    return "expired" if valid_until is not None and valid_until < today else "valid"


PushOutcome = Literal["created", "updated", "unchanged"]


def push_outcome(existing_fingerprint: bytes | None, existing_file: str | None, lic: CheckedLicense,
                 file_sha256: str | None) -> PushOutcome:
    """A push is idempotent on the license id: new, changed (data or file), or the same again."""
    if existing_fingerprint is None:
        return "created"
    if existing_fingerprint == lic.fingerprint and existing_file == file_sha256:
        return "unchanged"
    return "updated"
