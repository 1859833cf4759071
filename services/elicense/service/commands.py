"""What the e-license library is asked to do, each as a small immutable command."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from hubkit.auth import Principal

from elicense.domain.license_types import FieldSpec
from elicense.domain.licenses import LicenseData
from elicense.domain.service_items import Acceptance


@dataclass(frozen=True)
class PushLicense:
    actor: Principal
    issuer: str
    license: LicenseData
    mode: str
    file: bytes | None  # the license file as sent, or None
    file_format: str | None  # what the caller says the file is
    keep_without_file: bool
    at: datetime


@dataclass(frozen=True)
class AttachFile:
    actor: Principal
    license_id: str
    file: bytes
    claimed_format: str | None
    mode: str
    at: datetime


@dataclass(frozen=True)
class RevokeLicense:
    actor: Principal
    license_id: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class ClaimTypes:
    actor: Principal
    unit: str
    license_types: tuple[str, ...]
    stock: dict[str, int] | None
    at: datetime


@dataclass(frozen=True)
class GrantUse:
    actor: Principal
    issuer: str
    user_unit: str
    license_types: tuple[str, ...] | None
    at: datetime


@dataclass(frozen=True)
class WithdrawUse:
    actor: Principal
    issuer: str
    user_unit: str
    at: datetime


@dataclass(frozen=True)
class RecordUse:
    """A use in a listed service item (item_code, the materials it waived from the item's list), or in a
    free-text item of a window not on the list yet (item, waived_materials)."""

    actor: Principal
    license_id: str
    item: str | None
    waived_materials: int | None
    use_id: str
    at: datetime
    today: date
    item_code: str | None = None
    materials: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListItem:
    actor: Principal
    code: str
    name: str
    handling_unit: str
    accepts: tuple[Acceptance, ...]
    at: datetime


@dataclass(frozen=True)
class ProposeType:
    """A new license type, or (change_of) new fields of a registered one, for the bureau's review."""

    actor: Principal
    proposer: str
    name: str
    sector: str
    holder_kind: str
    fields: tuple[FieldSpec, ...]
    change_of: str | None
    at: datetime


@dataclass(frozen=True)
class ResubmitType:
    actor: Principal
    proposal_id: str
    name: str
    sector: str
    holder_kind: str
    fields: tuple[FieldSpec, ...]
    at: datetime


@dataclass(frozen=True)
class ReviewType:
    """Register the proposal (under `code`, or the next free code of the proposer's range) or return it."""

    actor: Principal
    proposal_id: str
    register: bool
    code: str | None
    reason: str | None
    field_reasons: dict[str, str]
    at: datetime
