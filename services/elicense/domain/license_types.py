"""The national license-type reference list: code, name, issuing sector, who holds such a license.

Codes follow the structure of GB/T 36904-2018 (电子证照 标识规范): the 18-character unified social
credit code of the competent national department followed by a 3-digit serial. The shipped list
(`reference/license_types.csv`, 73 common types across 26 sectors) uses department codes with valid
GB 32100 check characters that stand in for the official ones; a province loads the official
catalogue instead with HUB_LICENSE_TYPES_FILE (same columns).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from contracts.values import validate_uscc

HolderKind = Literal["person", "organisation", "either"]
REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "license_types.csv"


@dataclass(frozen=True)
class LicenseType:
    code: str
    name: str
    sector: str
    holder_kind: HolderKind


def _check(code: str) -> str:
    if len(code) != 21 or not code[18:].isdigit():
        raise ValueError(f"license-type code {code!r}: must be a USCC (18) and a 3-digit serial")
    validate_uscc(code[:18])
    return code


@cache
def load(path: Path = REFERENCE) -> dict[str, LicenseType]:
    """The list by code; a malformed row fails loudly with its line (the service must not start on it)."""
    types: dict[str, LicenseType] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            try:
                kind = row["holder_kind"]
                if kind not in ("person", "organisation", "either"):
                    raise ValueError(f"holder_kind must be person, organisation or either, got {kind!r}")
                code = _check(row["code"])
                if code in types:
                    raise ValueError(f"code {code} listed twice")
                types[code] = LicenseType(code, row["name"].strip(), row["sector"].strip(), kind)  # type: ignore[arg-type]
            except (KeyError, ValueError) as exc:
                raise ValueError(f"{path}:{line}: {exc}") from None
    return types
