"""The unit directory: which government units exist, what kind, where, and what they lack."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

UnitKind = Literal["department", "city", "county"]


class UnitRejected(ValueError):
    """A registration that breaks a directory rule; the message names the field."""


@dataclass(frozen=True)
class Unit:
    uscc: str
    name: str
    kind: UnitKind
    division_code: str
    parent_unit: str | None
    absent_indicators: tuple[str, ...]
    exempt_from: date | None = None  # not checked from this day (its month and after)
    exempt_basis: str | None = None  # the document that says so


def check_division(kind: UnitKind, division_code: str) -> None:
    """Departments are regional (4500xx); a city's code ends in 00; a county's does not."""
    if not division_code.startswith("45"):
        raise UnitRejected(f"division_code: {division_code} is not in Guangxi (45xxxx)")
    if kind == "city" and (division_code[2:4] == "00" or division_code[4:] != "00"):
        raise UnitRejected(f"division_code: {division_code} is not a city code (45cc00)")
    if kind == "county" and division_code[4:] == "00":
        raise UnitRejected(f"division_code: {division_code} is a city or region code, not a county's")


def check_parent(county: Unit, parent: Unit | None) -> None:
    """A county belongs to a registered city whose code it extends (450321 Yangshuo → 450300 Guilin)."""
    if parent is None:
        raise UnitRejected(f"parent_unit: {county.parent_unit} is not a registered unit")
    if parent.kind != "city":
        raise UnitRejected(f"parent_unit: {parent.uscc} is a {parent.kind}, not a city")
    if parent.division_code[:4] != county.division_code[:4]:
        raise UnitRejected(
            f"parent_unit: county {county.division_code} does not belong to city {parent.division_code}")
