"""Unified social credit codes (统一社会信用代码), GB 32100-2015.

Layout: authority (1) + organisation type (1) + division code (6) + organisation code (9, the
GB 11714 代码 whose 9th character is its own check) + check character (1). The alphabet leaves
out I, O, Z, S and V so that codes survive handwriting and OCR.
"""

from __future__ import annotations

from contracts.divisions import check_division_code

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(CHARSET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# 登记管理部门代码 -> the 机构类别代码 it may assign (GB 32100-2015 table 1 and its amendments).
AUTHORITY_KINDS: dict[str, str] = {
    "1": "1239",  # 机构编制: 机关, 事业单位, 中央编办管理的群众团体, 其他
    "2": "19",  # 外交
    "3": "123459",  # 司法行政
    "4": "19",  # 文化
    "5": "1239",  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "6": "129",  # 旅游
    "7": "129",  # 宗教
    "8": "19",  # 工会
    "9": "123",  # 工商: 企业, 个体工商户, 农民专业合作社
    "A": "19",  # 中央军委改革和编制办公室
    "N": "1239",  # 农业
    "Y": "1",  # 其他
}

# Central-level units register with the national code 100000, which is no province's division.
NATIONAL_DIVISION = "100000"


def uscc_check_char(first17: str) -> str:
    """The 18th character: 31 - (Σ value·weight mod 31), where 31 maps to '0'."""
    if len(first17) != 17:
        raise ValueError(f"expected the first 17 characters, got {len(first17)}")
    _check_charset(first17)
    total = sum(_VALUE[c] * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def validate_uscc(code: str) -> str:
    """Return `code` if it is a well-formed USCC with the right check character, else ValueError."""
    if len(code) != 18:
        raise ValueError(f"must be 18 characters, got {len(code)}")
    _check_charset(code)
    authority, kind, division = code[0], code[1], code[2:8]
    if authority not in AUTHORITY_KINDS:
        raise ValueError(f"registration authority code {authority!r} is not defined in GB 32100")
    if kind not in AUTHORITY_KINDS[authority]:
        raise ValueError(f"organisation type {kind!r} is not defined for registration authority {authority!r}")
    if division != NATIONAL_DIVISION:
        try:
            check_division_code(division)
        except ValueError as exc:
            raise ValueError(f"characters 3-8 {division!r} are not a division code: {exc}") from None
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise ValueError(f"check character should be {expected!r}, got {code[17]!r}")
    return code


def org_code_check_char(first8: str) -> str:
    """GB 11714 check character of an organisation code: 11 - (Σ value·weight mod 11), 10 -> X, 11 -> 0."""
    _check_charset(first8)
    value = 11 - sum(_gb11714_value(c) * w for c, w in zip(first8, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def make_uscc(division_code: str, org_code8: str, authority: str = "1", kind: str = "1") -> str:
    """A valid USCC for reference data and tests.

    `org_code8` is the 8-character body of the organisation code (its GB 11714 check character is
    appended) or the full 9-character code (used as given).
    """
    if len(org_code8) == 8:
        org_code = org_code8 + org_code_check_char(org_code8)
    elif len(org_code8) == 9:
        org_code = org_code8
    else:
        raise ValueError(f"organisation code must be 8 or 9 characters, got {len(org_code8)}")
    first17 = authority + kind + division_code + org_code
    return validate_uscc(first17 + uscc_check_char(first17))


def _check_charset(text: str) -> None:
    for i, c in enumerate(text, start=1):
        if c not in _VALUE:
            hint = " (lower case is not allowed)" if c.upper() in _VALUE else ""
            raise ValueError(f"character {c!r} at position {i} is not in the GB 32100 alphabet{hint}")


def _gb11714_value(c: str) -> int:
    # GB 11714 values letters by their place in the full Latin alphabet (A=10 … Z=35).
    return int(c) if c.isdigit() else ord(c) - ord("A") + 10
