"""A fast validating decoder for event logs (JSON Lines), never more permissive than contracts.

Pydantic validation of every line is too slow for bulk replay (scoring's `replay`, its live
projection), so the events scoring folds are mirrored as msgspec Structs (a tagged union on
`type`, unknown fields forbidden, strict types), and the checks msgspec cannot express (USCC and
resource-code check rules, cross-field rules) run afterwards with contracts' own validators, cached per distinct code.

Anything the fast path does not accept goes to `contracts.decode`, which has the last word: a
line is rejected only with contracts' reason, and event types scoring does not mirror are
validated (and returned) by contracts. tests/contracts/test_fastdecode.py keeps both in step: the
same lines accepted and rejected, and every mirrored field generated from the models compared.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal, Union

import msgspec

from contracts import ContractError
from contracts import decode as contract_decode
from contracts.values import check_division_code, uscc_check_char, validate_resource_code, validate_uscc

__all__ = ["DecodeError", "decode", "uscc_check_char"]

AwareDateTime = Annotated[datetime, msgspec.Meta(tz=True)]
NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]
Count = Annotated[int, msgspec.Meta(ge=0)]
DataKind = Literal["government", "supervision"]


class DecodeError(ValueError):
    """A line that is not a valid envelope; the message (contracts' reason) names the field."""


class _Invalid(Exception):
    """The fast path cannot vouch for the line; contracts decides."""


class _Data(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class UnitRegistered(_Data, kw_only=True, frozen=True):
    name: NonEmpty
    kind: Literal["department", "city", "county"]
    division_code: str
    parent_unit: str | None = None
    absent_indicators: list[Literal["A1", "A2", "A3", "A4", "B3"]] = []


class RequirementAssigned(_Data, kw_only=True, frozen=True):
    batch_id: NonEmpty
    batch_kind: Literal["first_batch_catalog", "business_environment", "high_frequency", "theme"]
    resource_codes: Annotated[list[str], msgspec.Meta(min_length=1)]
    deadline: date


class InformationItem(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: NonEmpty
    type: NonEmpty
    length: Annotated[int, msgspec.Meta(ge=1)] | None = None


class ResourcePublished(_Data, kw_only=True, frozen=True):
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


class ResourceMounted(_Data, kw_only=True, frozen=True):
    resource_code: str
    mount_kind: Literal["table", "file", "api"]


class ResourceUpdated(_Data, kw_only=True, frozen=True):
    resource_code: str
    records: Count | None = None


class RequestSubmitted(_Data, kw_only=True, frozen=True):
    request_id: NonEmpty
    requester_unit: str
    resource_code: str
    data_kind: DataKind


class RequestForwarded(_Data, kw_only=True, frozen=True):
    request_id: NonEmpty
    data_kind: DataKind


class RequestApproved(_Data, kw_only=True, frozen=True):
    request_id: NonEmpty
    data_kind: DataKind
    forwarded_at: AwareDateTime


class RequestRejected(_Data, kw_only=True, frozen=True):
    request_id: NonEmpty
    data_kind: DataKind
    forwarded_at: AwareDateTime
    reason: str


class CallFailed(_Data, kw_only=True, frozen=True):
    call_id: NonEmpty
    resource_code: str
    consumer_unit: str
    data_kind: DataKind
    error: Literal["timeout", "unavailable", "server_error", "bad_response"]


class DisputeUpheld(_Data, kw_only=True, frozen=True):
    dispute_id: NonEmpty
    resource_code: str
    data_kind: DataKind


class DataUsed(_Data, kw_only=True, frozen=True):
    resource_code: str
    consumer_unit: str
    purpose: Literal["general", "high_frequency", "business_environment"]


class TypesClaimed(_Data, kw_only=True, frozen=True):
    license_types: list[str]
    declared_stock: Count | None = None


class LicensePushed(_Data, kw_only=True, frozen=True):
    license_id: NonEmpty
    license_type: NonEmpty
    push_mode: Literal["stock", "auto_incremental", "manual"]
    file_format: Literal["ofd", "pdf"] | None = None
    sealed: bool


class LicenseUsed(_Data, kw_only=True, frozen=True):
    license_id: NonEmpty
    issuer_unit: str
    sealed: bool
    waived_materials: Count


class FindingRecorded(_Data, kw_only=True, frozen=True):
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
_USCC_FIELDS: dict[type[_Data], tuple[str, ...]] = {
    UnitRegistered: ("parent_unit",),
    RequestSubmitted: ("requester_unit",),
    CallFailed: ("consumer_unit",),
    DataUsed: ("consumer_unit",),
    LicenseUsed: ("issuer_unit",),
    FindingRecorded: ("attributed_unit",),
}
_CODE_FIELDS = ("resource_code",)
_FINDING_FIELD_EFFECT = {"count": "occurrence", "numerator": "rate", "denominator": "rate", "size": "achieved"}

PAYLOADS: dict[str, tuple[str, type[_Data]]] = {
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
}


def _envelope(type_name: str, source: str, payload: type[_Data]) -> type[msgspec.Struct]:
    return msgspec.defstruct(
        payload.__name__ + "Envelope",
        [
            ("id", uuid.UUID),
            ("version", Literal[1]),
            ("source", Literal[source]),
            ("unit", str),
            ("occurred_at", AwareDateTime),
            ("recorded_at", AwareDateTime | None, None),
            ("data", payload),
        ],
        tag_field="type",
        tag=type_name,
        frozen=True,
        kw_only=True,
        forbid_unknown_fields=True,
        namespace={"type": type_name},
    )


ENVELOPES = {name: _envelope(name, src, payload) for name, (src, payload) in PAYLOADS.items()}
_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(Union[tuple(ENVELOPES.values())])  # noqa: UP007

# Distinct codes in a log are few: each is validated by contracts once.
_valid_usccs: set[str] = set()
_valid_codes: set[str] = set()
_valid_divisions: set[str] = set()


def _uscc(value: str) -> None:
    if value not in _valid_usccs:
        try:
            validate_uscc(value)
        except ValueError:
            raise _Invalid from None
        _valid_usccs.add(value)


def _code(value: str) -> None:
    if value not in _valid_codes:
        try:
            validate_resource_code(value)
        except ValueError:
            raise _Invalid from None
        _valid_codes.add(value)


def _division(value: str) -> None:
    if value not in _valid_divisions:
        try:
            check_division_code(value)
        except ValueError:
            raise _Invalid from None
        _valid_divisions.add(value)


def _check_requirement(data: Any) -> None:
    for c in data.resource_codes:
        _code(c)


def _check_published(data: Any) -> None:
    for c in data.related_codes or ():
        _code(c)


def _check_registered(data: Any) -> None:
    _division(data.division_code)
    if (data.kind == "county") != (data.parent_unit is not None):
        raise _Invalid
    if len(set(data.absent_indicators)) != len(data.absent_indicators):
        raise _Invalid


def _check_finding(data: Any) -> None:
    for name, effect in _FINDING_FIELD_EFFECT.items():
        if getattr(data, name) is not None and data.effect != effect:
            raise _Invalid
    if data.effect == "occurrence" and data.count is None:
        raise _Invalid
    if data.effect == "rate" and (
        data.numerator is None or data.denominator is None or data.numerator > data.denominator
    ):
        raise _Invalid


# the cross-field rules of the payloads that have some (contracts' model validators)
_CROSS_FIELD: dict[type[_Data], Callable[[Any], None]] = {
    RequirementAssigned: _check_requirement,
    ResourcePublished: _check_published,
    UnitRegistered: _check_registered,
    FindingRecorded: _check_finding,
}


def _check(env: Any) -> None:
    """The rules msgspec cannot express; raises _Invalid when contracts might disagree."""
    _uscc(env.unit)
    data = env.data
    kind = type(data)
    for name in _USCC_FIELDS.get(kind, ()):
        value = getattr(data, name)
        if value is not None:
            _uscc(value)
    code = getattr(data, "resource_code", None)
    if code is not None:
        _code(code)
    cross = _CROSS_FIELD.get(kind)
    if cross is not None:
        cross(data)


def decode(line: bytes | str) -> Any:
    """One JSON line -> an envelope with contracts.Envelope's attribute names, or DecodeError."""
    try:
        env = _decoder.decode(line)
        _check(env)
        return env
    except (msgspec.ValidationError, msgspec.DecodeError, _Invalid):
        pass
    try:  # unmirrored types, old versions to upcast, or a real error: contracts decides
        return contract_decode(line)
    except ContractError as exc:
        raise DecodeError(exc.reason) from None
