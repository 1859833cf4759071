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
from typing import Any, Literal, Union

import msgspec

from contracts import ContractError
from contracts import decode as contract_decode
from contracts.mirrors import (
    PAYLOADS,
    AwareDateTime,
    CallFailed,
    DataKind,
    DataUsed,
    DisputeUpheld,
    FindingRecorded,
    FindingRetracted,
    LicensePushed,
    LicenseUsed,
    MirroredPayload,
    RequestApproved,
    RequestForwarded,
    RequestRejected,
    RequestSubmitted,
    RequirementAssigned,
    ResourceMounted,
    ResourcePublished,
    ResourceUpdated,
    TypesClaimed,
    UnitRegistered,
)
from contracts.values import check_division_code, uscc_check_char, validate_resource_code, validate_uscc

__all__ = [
    "PAYLOADS", "CallFailed", "DataKind", "DataUsed", "DecodeError", "DisputeUpheld", "FindingRecorded",
    "FindingRetracted",
    "LicensePushed", "LicenseUsed", "RequestApproved", "RequestForwarded", "RequestRejected", "RequestSubmitted",
    "RequirementAssigned", "ResourceMounted", "ResourcePublished", "ResourceUpdated", "TypesClaimed",
    "UnitRegistered", "decode", "uscc_check_char",
]


class DecodeError(ValueError):
    """A line that is not a valid envelope; the message (contracts' reason) names the field."""


class _Invalid(Exception):
    """The fast path cannot vouch for the line; contracts decides."""


_USCC_FIELDS: dict[type[MirroredPayload], tuple[str, ...]] = {
    UnitRegistered: ("parent_unit",),
    RequestSubmitted: ("requester_unit",),
    CallFailed: ("consumer_unit",),
    DataUsed: ("consumer_unit",),
    LicenseUsed: ("issuer_unit",),
    FindingRecorded: ("attributed_unit",),
    FindingRetracted: ("attributed_unit",),
}
_CODE_FIELDS = ("resource_code",)
_FINDING_FIELD_EFFECT = {"count": "occurrence", "numerator": "rate", "denominator": "rate", "size": "achieved"}

def _envelope(type_name: str, source: str, payload: type[MirroredPayload]) -> type[msgspec.Struct]:
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
    if (data.exempt_from is None) != (data.exempt_basis is None) or (data.exempt_from and data.kind == "county"):
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
_CROSS_FIELD: dict[type[MirroredPayload], Callable[[Any], None]] = {
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
