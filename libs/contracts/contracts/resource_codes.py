"""Catalog resource codes (seed 003, attachment §7).

`3` (部门数据资源类) + `30` (省/自治区) + `045` (广西) + 6-digit division code + 9-character unit
mark (the provider's USCC characters 9-17) + 6-digit serial 000001…999999: 27 characters.
The guide calls the unit mark "9 digits", but the organisation codes it is cut from may contain
letters (its own example is MB1519000), so any character of the USCC alphabet is accepted there.
"""

from __future__ import annotations

from typing import NamedTuple

from contracts.divisions import check_division_code
from contracts.uscc import CHARSET, validate_uscc

PREFIX = "330045"
LENGTH = 27
# The 045 segment is Guangxi, so the division must be Guangxi's (45xxxx).
PROVINCE = "45"


class ParsedResourceCode(NamedTuple):
    division_code: str
    unit_mark: str
    serial: int


def unit_mark(uscc: str) -> str:
    """The USCC with its first 8 characters and its check character left out."""
    return validate_uscc(uscc)[8:17]


def build_resource_code(division_code: str, uscc: str, serial: int) -> str:
    _check_division(division_code)
    _check_serial(serial)
    return f"{PREFIX}{division_code}{unit_mark(uscc)}{serial:06d}"


def parse_resource_code(code: str) -> ParsedResourceCode:
    """Split a resource code into its parts, or raise ValueError saying which part is wrong."""
    if len(code) != LENGTH:
        raise ValueError(f"must be {LENGTH} characters, got {len(code)}")
    if not code.startswith(PREFIX):
        raise ValueError(f"must start with {PREFIX} (类 3, 项 30, 目 045), got {code[:6]!r}")
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
    return ParsedResourceCode(division, mark, int(serial))


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
