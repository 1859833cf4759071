"""License types: the national reference list and the registry the bureau keeps on top of it.

Codes follow the structure of GB/T 36904-2018 (电子证照 标识规范): the 18-character unified social
credit code of the competent department followed by a 3-digit serial. The shipped list
(`reference/license_types.csv`, 73 common types across 26 sectors) uses department codes with valid
GB 32100 check characters that stand in for the official ones; a province loads the official
catalogue instead with HUB_LICENSE_TYPES_FILE (same columns). It is the registry's first version.

A new type (新增证照类型, seed 003 §2(七)) is proposed by the department that issues it, with the fields
its licenses carry (照面信息); the bureau registers it under a code in that department's range, or returns
it with reasons. A change of a registered type's fields is proposed and reviewed the same way and makes
the type's next version. Pure: no I/O.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Literal

from contracts.values import validate_uscc

HolderKind = Literal["person", "organisation", "either"]
FieldKind = Literal["text", "date", "number"]
REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "license_types.csv"
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_FIELD_TEXT = 500


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One data item a license of the type carries beyond the common ones (number, holder, dates)."""

    name: str  # the key in a license's `fields`
    label: str  # as printed on the license
    kind: FieldKind = "text"
    required: bool = False


def fields_doc(fields: tuple[FieldSpec, ...]) -> list[dict[str, object]]:
    """A field list as the API shows it and the database keeps it."""
    return [{"name": f.name, "label": f.label, "kind": f.kind, "required": f.required} for f in fields]


@dataclass(frozen=True)
class LicenseType:
    code: str
    name: str
    sector: str
    holder_kind: HolderKind
    fields: tuple[FieldSpec, ...] = ()
    version: int = 1
    source: Literal["reference", "registered"] = "reference"


class TypeInvalid(ValueError):
    """A proposed type or code breaks a rule; the message names the field."""


def check_code(code: str) -> str:
    if len(code) != 21 or not code[18:].isdigit():
        raise TypeInvalid(f"license-type code {code!r}: must be a USCC (18) and a 3-digit serial")
    try:
        validate_uscc(code[:18])
    except ValueError as exc:
        raise TypeInvalid(f"license-type code {code!r}: {exc}") from None
    return code


def check_fields(fields: list[FieldSpec]) -> tuple[FieldSpec, ...]:
    """A field list as proposed: names well-formed and distinct, labels given."""
    seen: set[str] = set()
    for i, f in enumerate(fields):
        if not FIELD_NAME.match(f.name):
            raise TypeInvalid(f"fields.{i}.name: {f.name!r} must be lower-case letters, digits and _ "
                              "(starting with a letter, at most 40)")
        if f.name in seen:
            raise TypeInvalid(f"fields.{i}.name: {f.name!r} is listed twice")
        if not f.label.strip():
            raise TypeInvalid(f"fields.{i}.label: must not be empty")
        seen.add(f.name)
    return tuple(fields)


def next_code(department: str, taken: set[str]) -> str:
    """The first free code in the department's range (its USCC and a serial 001–999)."""
    validate_uscc(department)
    for serial in range(1, 1000):
        code = f"{department}{serial:03d}"
        if code not in taken:
            return code
    raise TypeInvalid(f"the department {department} has no free license-type code left")


@dataclass(frozen=True, slots=True)
class FieldsChecked:
    values: dict[str, str] = field(default_factory=dict)  # as sent, trimmed
    missing: tuple[str, ...] = ()  # required fields the license does not carry


def check_values(values: dict[str, str] | None, kind: LicenseType) -> FieldsChecked:
    """A license's `fields` against its type's list: names the type does not have and values that are not
    of the field's kind are refused (TypeInvalid, naming the field); required fields missing are returned,
    as the library keeps such a license and lists it as abnormal data for its issuer to correct."""
    specs = {f.name: f for f in kind.fields}
    out: dict[str, str] = {}
    for name, raw in sorted((values or {}).items()):
        spec = specs.get(name)
        if spec is None:
            known = ", ".join(specs) or "none"
            raise TypeInvalid(f"fields.{name}: not a field of license type {kind.code} (version {kind.version}; "
                              f"its fields: {known})")
        value = raw.strip()
        if not value:
            continue  # an empty value is a missing one
        if len(value) > MAX_FIELD_TEXT:
            raise TypeInvalid(f"fields.{name}: at most {MAX_FIELD_TEXT} characters")
        if spec.kind == "date":
            try:
                date.fromisoformat(value)
            except ValueError:
                raise TypeInvalid(f"fields.{name}: {spec.label} is a date (YYYY-MM-DD)") from None
        elif spec.kind == "number":
            try:
                if not Decimal(value).is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                raise TypeInvalid(f"fields.{name}: {spec.label} is a number") from None
        out[name] = value
    missing = tuple(f.name for f in kind.fields if f.required and f.name not in out)
    return FieldsChecked(out, missing)


@cache
def load(path: Path = REFERENCE) -> dict[str, LicenseType]:
    """The reference list by code; a malformed row fails loudly with its line (the service must not start on it)."""
    types: dict[str, LicenseType] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            try:
                kind = row["holder_kind"]
                if kind not in ("person", "organisation", "either"):
                    raise ValueError(f"holder_kind must be person, organisation or either, got {kind!r}")
                code = check_code(row["code"])
                if code in types:
                    raise ValueError(f"code {code} listed twice")
                types[code] = LicenseType(code, row["name"].strip(), row["sector"].strip(), kind)  # type: ignore[arg-type]
            except (KeyError, ValueError) as exc:
                raise ValueError(f"{path}:{line}: {exc}") from None
    return types
