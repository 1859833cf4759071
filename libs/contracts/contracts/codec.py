"""Bytes <-> Envelope. Every failure is a ContractError naming the field path and why."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from contracts.envelope import Envelope
from contracts.errors import ContractError
from contracts.event_types import payload_class, upcast


def encode(envelope: Envelope) -> bytes:
    """Compact UTF-8 JSON, keys in field declaration order: one envelope, one byte string."""
    return envelope.__pydantic_serializer__.to_json(envelope)


def decode(raw: bytes | str | dict[str, Any]) -> Envelope:
    """Validate one message strictly, upcasting an old version of a known type first."""
    obj = _load(raw)
    type_, version, data = obj.get("type"), obj.get("version"), obj.get("data")
    if isinstance(type_, str):
        latest = payload_class(type_).VERSION  # UnknownEventType for a type nobody registered
        if type(version) is int and version != latest and isinstance(data, dict):
            obj = {**obj, "version": latest, "data": upcast(type_, version, data)}
            raw = obj
    try:
        # Validate the original bytes when nothing changed; re-encode dicts so JSON rules apply.
        payload = raw if isinstance(raw, bytes | str) else orjson.dumps(obj, default=_jsonable)
        return Envelope.model_validate_json(payload, strict=True)
    except ValidationError as exc:
        raise ContractError("; ".join(_describe(e) for e in exc.errors())) from None


def _load(raw: bytes | str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ContractError(f"not valid UTF-8 JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise ContractError(f"an envelope must be a JSON object, got {type(obj).__name__}")
    return obj


def _jsonable(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serializable")


_MESSAGES = {
    "timezone_aware": "needs an RFC 3339 offset such as +08:00",
    "missing": "required",
    "extra_forbidden": "unknown field",
}


def _describe(error: ErrorDetails) -> str:
    path = ".".join(str(p) for p in error["loc"])
    msg = _MESSAGES.get(error["type"]) or error["msg"].removeprefix("Value error, ")
    if error["type"] == "timezone_aware":
        msg += f", got {error['input']!r}"
    return f"{path}: {msg}" if path else msg
