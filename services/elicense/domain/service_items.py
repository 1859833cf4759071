"""Service items (政务服务事项) and the license types each accepts in place of paper (免证办, seed 001
indicators 57/60): a window that handles the item looks the holder's license up in the library instead of
asking for the materials that license replaces. Pure: no I/O.

A use names the item and the materials it waived; they must be what the item's list says a license of
that type replaces, so the materials counted (scoring E1.1) are the ones the bureau's list allows.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

ITEM_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$")  # 事项编码 as the service-item catalog writes it


@dataclass(frozen=True, slots=True)
class Acceptance:
    """A license type the item accepts, and the paper materials a license of it replaces."""

    license_type: str
    materials: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ServiceItem:
    code: str
    name: str
    handling_unit: str
    accepts: tuple[Acceptance, ...]
    version: int = 1


class ItemInvalid(ValueError):
    """A listing or a use breaks a rule; the message names the field."""


def check_acceptances(accepts: Sequence[Acceptance], registered: Collection[str]) -> None:
    """Registered types, each once; materials named, each once per type."""
    seen: set[str] = set()
    for i, a in enumerate(accepts):
        if a.license_type not in registered:
            raise ItemInvalid(f"accepts.{i}.license_type: {a.license_type!r} is not a registered license type")
        if a.license_type in seen:
            raise ItemInvalid(f"accepts.{i}.license_type: {a.license_type} is listed twice")
        seen.add(a.license_type)
        names = [m.strip() for m in a.materials]
        if not names or any(not m or len(m) > 200 for m in names):
            raise ItemInvalid(f"accepts.{i}.materials: name each material the license replaces (1–200 characters)")
        if len(set(names)) != len(names):
            raise ItemInvalid(f"accepts.{i}.materials: a material is listed twice")


def waived(item: ServiceItem, license_type: str, materials: Sequence[str]) -> tuple[str, ...]:
    """The materials a use of a license of `license_type` in `item` waived, as the item's list names them."""
    accepted = next((a for a in item.accepts if a.license_type == license_type), None)
    if accepted is None:
        raise ItemInvalid(f"item: {item.code} ({item.name}) does not accept licenses of type {license_type} in "
                          "place of paper")
    names = tuple(m.strip() for m in materials)
    if len(set(names)) != len(names):
        raise ItemInvalid("materials: a material is named twice")
    unknown = [m for m in names if m not in accepted.materials]
    if unknown:
        raise ItemInvalid(f"materials: {', '.join(unknown)} is not what a {license_type} license replaces in "
                          f"{item.code} ({', '.join(accepted.materials)})")
    return names
