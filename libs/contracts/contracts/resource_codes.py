"""Catalog resource codes (seed 003, attachment §5.3 and §7).

类 (1 digit: `1` 基础, `2` 主题, `3` 部门数据资源类, §5.3.1) + 项 (2 digits: `30` 省/自治区 for a department
resource; a base or theme resource's item from the code lists, e.g. `01` 人口) + 目 `045` (广西) + 6-digit
division code + 9-character unit mark (the provider's USCC characters 9-17; for a base or theme resource the
unit that leads it, §6.1) + 6-digit serial 000001…999999: 27 characters. The guide's §7 spells the layout
out for department resources only; base and theme resources follow it with their own 类 and 项.
The guide calls the unit mark "9 digits", but the organisation codes it is cut from may contain
letters (its own example is MB1519000), so any character of the USCC alphabet is accepted there.
"""

from __future__ import annotations

from typing import NamedTuple

from contracts.code_lists import CatalogKind, current
from contracts.divisions import check_division_code
from contracts.uscc import CHARSET, validate_uscc

PREFIX = "330045"  # a department resource of Guangxi
LENGTH = 27
# The 045 segment is Guangxi, so the division must be Guangxi's (45xxxx).
PROVINCE = "45"


class ParsedResourceCode(NamedTuple):
    division_code: str
    unit_mark: str
    serial: int
    kind: CatalogKind = "department"
    item: str = "30"


def unit_mark(uscc: str) -> str:
    """The USCC with its first 8 characters and its check character left out."""
    return validate_uscc(uscc)[8:17]


def build_resource_code(division_code: str, uscc: str, serial: int, kind: CatalogKind = "department",
                        item: str | None = None) -> str:
    """A department resource by default; a base or theme resource names its item (项) from the code lists."""
    _check_division(division_code)
    _check_serial(serial)
    return f"{prefix(kind, item)}{division_code}{unit_mark(uscc)}{serial:06d}"


def prefix(kind: CatalogKind, item: str | None = None) -> str:
    """类 + 项 + 目 of a catalog kind (a department's item is 30, 省/自治区)."""
    lists = current()
    if item is None:
        if kind != "department":
            raise ValueError(f"a {kind} resource names its item (项): one of {', '.join(lists.kinds[kind].items)}")
        item = "30"
    lists.check_item(kind, item)
    return f"{lists.kinds[kind].digit}{item}{lists.region}"


def parse_resource_code(code: str) -> ParsedResourceCode:
    """Split a resource code into its parts, or raise ValueError saying which part is wrong."""
    if len(code) != LENGTH:
        raise ValueError(f"must be {LENGTH} characters, got {len(code)}")
    lists = current()
    kind = lists.kind_of_digit(code[0])
    if kind is None:
        raise ValueError(f"类 (character 1) must be 1 (基础), 2 (主题) or 3 (部门), got {code[0]!r}")
    if code[1:3] not in kind.items:
        raise ValueError(f"项 (characters 2-3) {code[1:3]!r} is not an item of the {kind.key} catalog "
                         f"({', '.join(kind.items)})")
    if code[3:6] != lists.region:
        raise ValueError(f"目 (characters 4-6) must be {lists.region} (广西), got {code[3:6]!r}")
    division, mark, serial = code[6:12], code[12:21], code[21:]
    try:
        _check_division(division)
    except ValueError as exc:
        raise ValueError(f"division code (characters 7-12): {exc}") from None
    bad = [c for c in mark if c not in CHARSET]
    if bad:
        raise ValueError(f"unit mark (characters 13-21) {mark!r} has {bad[0]!r}, not in the USCC alphabet")
    if not serial.isascii() or not serial.isdigit():
        raise ValueError(f"serial (characters 22-27) must be 6 digits, got {serial!r}")
    _check_serial(int(serial))
    return ParsedResourceCode(division, mark, int(serial), kind.key, code[1:3])


def validate_resource_code(code: str) -> str:
    parse_resource_code(code)
    return code


def resource_code_matches_provider(code: str, uscc: str) -> bool:
    """Whether the code's unit mark is the one cut from this provider's USCC."""
    return parse_resource_code(code).unit_mark == unit_mark(uscc)


def _check_division(code: str) -> None:
    check_division_code(code)
    if not code.startswith(PROVINCE):
        raise ValueError(f"must be a Guangxi division code (45xxxx) under 目 045, got {code!r}")


def _check_serial(serial: int) -> None:
    if not 1 <= serial <= 999_999:
        raise ValueError(f"serial must be 000001…999999, got {serial}")
