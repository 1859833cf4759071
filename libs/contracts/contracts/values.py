"""Value types shared by every payload: codes checked the way their standards say.

Each type is an `Annotated` str (or Decimal) usable as a pydantic field; the plain functions are
re-exported so reference data and tests can build and check codes without a model.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, PlainSerializer, PlainValidator, WithJsonSchema

from contracts.divisions import check_division_code, division_level
from contracts.resource_codes import (
    ParsedResourceCode,
    build_resource_code,
    parse_resource_code,
    resource_code_matches_provider,
    validate_resource_code,
)
from contracts.uscc import CHARSET, make_uscc, uscc_check_char, validate_uscc

__all__ = [
    "Decimal2",
    "DivisionCode",
    "Month",
    "ParsedResourceCode",
    "ResourceCode",
    "RuleItem",
    "Sha256",
    "Uscc",
    "build_resource_code",
    "check_division_code",
    "division_level",
    "make_uscc",
    "parse_resource_code",
    "resource_code_matches_provider",
    "uscc_check_char",
    "validate_resource_code",
    "validate_uscc",
]

_ALPHA = re.escape(CHARSET)


def _pattern(regex: str, what: str) -> Callable[[str], str]:
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"must be {what}, got {value!r}")
        return value

    return check


def _schema(description: str, pattern: str, **extra: Any) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "pattern": pattern, "description": description, **extra})


Uscc = Annotated[
    str,
    AfterValidator(validate_uscc),
    _schema(
        "18-character unified social credit code (GB 32100-2015); the check character is verified",
        f"^[{_ALPHA}]{{2}}[0-9]{{6}}[{_ALPHA}]{{10}}$",
        examples=["91350100M000100Y43"],
    ),
]

DivisionCode = Annotated[
    str,
    AfterValidator(check_division_code),
    _schema("6-digit administrative division code (GB/T 2260), e.g. 450000, 450100", "^[0-9]{6}$"),
]

ResourceCode = Annotated[
    str,
    AfterValidator(validate_resource_code),
    _schema(
        "27-character catalog resource code: 330045 + division (6) + unit mark (9) + serial (6)",
        f"^330045[0-9]{{6}}[{_ALPHA}]{{9}}[0-9]{{6}}$",
    ),
]

_MONTH = r"[0-9]{4}-(0[1-9]|1[0-2])"
Month = Annotated[str, AfterValidator(_pattern(_MONTH, "a month YYYY-MM")), _schema("calendar month", f"^{_MONTH}$")]

_ITEM = r"[A-E][0-9]+(\.[0-9]+)?"
RuleItem = Annotated[
    str,
    AfterValidator(_pattern(_ITEM, "a rule item id such as A1.2, D3 or B4.10")),
    _schema("rule item id of the ruleset, e.g. A1.2, C2.2, D3", f"^{_ITEM}$"),
]

_SHA = "[0-9a-f]{64}"
Sha256 = Annotated[str, AfterValidator(_pattern(_SHA, "64 lower-case hex digits")), _schema("SHA-256", f"^{_SHA}$")]

_DEC2 = re.compile(r"[0-9]+\.[0-9]{2}")
_CENT = Decimal("0.01")


def _decimal2(value: object) -> Decimal:
    # Points are exact: a float (or an int that hides the scale) is refused rather than rounded.
    if isinstance(value, str):
        if not _DEC2.fullmatch(value):
            raise ValueError(f"must be a decimal string with 2 decimals such as '87.50', got {value!r}")
        return Decimal(value)
    if isinstance(value, Decimal):
        try:
            cents = value.quantize(_CENT)
        except InvalidOperation:
            cents = None
        if cents is None or cents != value or cents < 0:
            raise ValueError(f"must be a non-negative decimal with at most 2 decimals, got {value}")
        return cents
    raise ValueError(f"must be a decimal string such as '87.50', got {type(value).__name__}")


Decimal2 = Annotated[
    Decimal,
    PlainValidator(_decimal2),
    PlainSerializer(lambda d: f"{d:.2f}", return_type=str, when_used="json"),
    _schema("non-negative decimal with exactly 2 decimals, as a string", r"^[0-9]+\.[0-9]{2}$", examples=["87.50"]),
]
