"""Administrative division codes (GB/T 2260): province (2) + city (2) + county (2) digits."""

from __future__ import annotations

# The 34 province-level prefixes, including Taiwan (71), Hong Kong (81) and Macao (82).
PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)


def check_division_code(code: str) -> str:
    """Return `code` if it is a 6-digit division code with a real province prefix, else ValueError."""
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        raise ValueError(f"must be 6 digits, got {code!r}")
    if code[:2] not in PROVINCES:
        raise ValueError(f"{code[:2]!r} is not a province code")
    if code[2:4] == "00" and code[4:] != "00":
        # A province-level code (xx00yy) has no counties below it: only xx0000 exists.
        raise ValueError(f"{code!r} names a county under no city")
    return code


def division_level(code: str) -> str:
    """'province', 'city' or 'county', from where the trailing zeros start."""
    check_division_code(code)
    if code[2:] == "0000":
        return "province"
    return "city" if code[4:] == "00" else "county"
