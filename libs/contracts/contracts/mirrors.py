"""The payloads scoring folds, mirrored as msgspec Structs for the replay's fast decoder
(`contracts.fastdecode`): strict types, unknown fields forbidden, the same names, required fields,
enums and bounds as the pydantic models (tests/contracts/test_fastdecode.py compares them field by
field). Patterns the models check on codes are checked after msgspec, by contracts' validators."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

AwareDateTime = Annotated[datetime, msgspec.Meta(tz=True)]
NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]
Count = Annotated[int, msgspec.Meta(ge=0)]
DataKind = Literal["government", "supervision"]



class MirroredPayload(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class UnitRegistered(MirroredPayload, kw_only=True, frozen=True):
    name: NonEmpty
    kind: Literal["department", "city", "county"]
    division_code: str
    parent_unit: str | None = None
    absent_indicators: list[Literal["A1", "A2", "A3", "A4", "B3"]] = []
    exempt_from: date | None = None
    exempt_basis: Annotated[str, msgspec.Meta(min_length=1, max_length=300)] | None = None


class RequirementAssigned(MirroredPayload, kw_only=True, frozen=True):
    batch_id: NonEmpty
    batch_kind: Literal["first_batch_catalog", "business_environment", "high_frequency", "theme"]
    resource_codes: Annotated[list[str], msgspec.Meta(min_length=1)]
    deadline: date


class InformationItem(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: NonEmpty
    type: NonEmpty
    length: Annotated[int, msgspec.Meta(ge=1)] | None = None
    required: bool | None = None
    key: bool | None = None


class ResourcePublished(MirroredPayload, kw_only=True, frozen=True):
    resource_code: str
    name: NonEmpty
    share_type: Literal["unconditional", "conditional", "not_shared"]
    update_cycle: Literal["realtime", "daily", "weekly", "monthly", "quarterly", "yearly"]
    classification: str | None = None
    summary: str | None = None
    format: str | None = None
    domain: str | None = None
    provider_name: str | None = None
    items: list[InformationItem] | None = None
    share_condition: str | None = None
    share_method: str | None = None
    share_basis: str | None = None
    open_type: Literal["open", "conditional", "not_open"] | None = None
    open_condition: str | None = None
    publish_date: date | None = None
    related_codes: list[str] | None = None
    secret: bool | None = None
    control_parameters: bool | None = None


class ResourceMounted(MirroredPayload, kw_only=True, frozen=True):
    resource_code: str
    mount_kind: Literal["table", "file", "api"]


class ResourceUpdated(MirroredPayload, kw_only=True, frozen=True):
    resource_code: str
    records: Count | None = None
    origin: Literal["reported", "delivery"] | None = None
    delivery_id: NonEmpty | None = None


class RequestSubmitted(MirroredPayload, kw_only=True, frozen=True):
    request_id: NonEmpty
    requester_unit: str
    resource_code: str
    data_kind: DataKind


class RequestForwarded(MirroredPayload, kw_only=True, frozen=True):
    request_id: NonEmpty
    data_kind: DataKind


class RequestApproved(MirroredPayload, kw_only=True, frozen=True):
    request_id: NonEmpty
    data_kind: DataKind
    forwarded_at: AwareDateTime


class RequestRejected(MirroredPayload, kw_only=True, frozen=True):
    request_id: NonEmpty
    data_kind: DataKind
    forwarded_at: AwareDateTime
    reason: str


class CallFailed(MirroredPayload, kw_only=True, frozen=True):
    call_id: NonEmpty
    resource_code: str
    consumer_unit: str
    data_kind: DataKind
    error: Literal["timeout", "unavailable", "server_error", "bad_response"]


class DisputeUpheld(MirroredPayload, kw_only=True, frozen=True):
    dispute_id: NonEmpty
    resource_code: str
    data_kind: DataKind


class DataUsed(MirroredPayload, kw_only=True, frozen=True):
    resource_code: str
    consumer_unit: str
    purpose: Literal["general", "high_frequency", "business_environment"]


class TypesClaimed(MirroredPayload, kw_only=True, frozen=True):
    license_types: list[str]
    declared_stock: Count | None = None


class LicensePushed(MirroredPayload, kw_only=True, frozen=True):
    license_id: NonEmpty
    license_type: NonEmpty
    push_mode: Literal["stock", "auto_incremental", "manual"]
    file_format: Literal["ofd", "pdf"] | None = None
    sealed: bool


class LicenseUsed(MirroredPayload, kw_only=True, frozen=True):
    license_id: NonEmpty
    issuer_unit: str
    sealed: bool
    waived_materials: Count


class FindingRecorded(MirroredPayload, kw_only=True, frozen=True):
    finding_id: NonEmpty
    item: Annotated[str, msgspec.Meta(pattern=r"^[A-E][0-9]+(\.[0-9]+)?$")]
    effect: Literal["occurrence", "holds", "resolved", "rate", "achieved"]
    count: Annotated[int, msgspec.Meta(ge=1)] | None = None
    numerator: Count | None = None
    denominator: Count | None = None
    size: Count | None = None
    attributed_unit: str | None = None
    note: str = ""
    inspector: NonEmpty


# payload fields holding a USCC / resource code(s), checked with contracts' validators
class FindingRetracted(MirroredPayload, kw_only=True, frozen=True):
    finding_id: NonEmpty
    item: Annotated[str, msgspec.Meta(pattern=r"^[A-E][0-9]+(\.[0-9]+)?$")]
    attributed_unit: str | None = None
    finding_occurred_at: AwareDateTime
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    by: NonEmpty


PAYLOADS: dict[str, tuple[str, type[MirroredPayload]]] = {
    "registry.unit-registered": ("registry", UnitRegistered),
    "catalog.requirement-assigned": ("catalog", RequirementAssigned),
    "catalog.resource-published": ("catalog", ResourcePublished),
    "catalog.resource-mounted": ("catalog", ResourceMounted),
    "catalog.resource-updated": ("catalog", ResourceUpdated),
    "exchange.request-submitted": ("exchange", RequestSubmitted),
    "exchange.request-forwarded": ("exchange", RequestForwarded),
    "exchange.request-approved": ("exchange", RequestApproved),
    "exchange.request-rejected": ("exchange", RequestRejected),
    "exchange.call-failed": ("exchange", CallFailed),
    "exchange.dispute-upheld": ("exchange", DisputeUpheld),
    "exchange.data-used": ("exchange", DataUsed),
    "elicense.types-claimed": ("elicense", TypesClaimed),
    "elicense.license-pushed": ("elicense", LicensePushed),
    "elicense.license-used": ("elicense", LicenseUsed),
    "scoring.finding-recorded": ("scoring", FindingRecorded),
    "scoring.finding-retracted": ("scoring", FindingRetracted),
}
