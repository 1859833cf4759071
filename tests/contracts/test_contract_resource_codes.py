"""Catalog resource codes (seed 003, attachment §7) and division codes."""

from __future__ import annotations

import pytest
from contracts.values import (
    ParsedResourceCode,
    build_resource_code,
    check_division_code,
    division_level,
    make_uscc,
    parse_resource_code,
    resource_code_matches_provider,
)
from hypothesis import given

from tests.contracts.contract_strategies import division_codes, guangxi_divisions, serials, usccs

SEED_UNIT = "11450000MB1519000C"  # the seed's example unit, with its correct check character


def test_seed_example_layout() -> None:
    code = build_resource_code("450000", SEED_UNIT, 1)
    assert code == "3" + "30" + "045" + "450000" + "MB1519000" + "000001"
    assert len(code) == 27
    assert parse_resource_code(code) == ParsedResourceCode("450000", "MB1519000", 1)
    assert resource_code_matches_provider(code, SEED_UNIT)
    assert not resource_code_matches_provider(code, make_uscc("450000", "MB151901"))


@given(guangxi_divisions, usccs(), serials)
def test_build_parse_round_trip(division: str, uscc: str, serial: int) -> None:
    code = build_resource_code(division, uscc, serial)
    assert len(code) == 27
    assert parse_resource_code(code) == ParsedResourceCode(division, uscc[8:17], serial)
    assert resource_code_matches_provider(code, uscc)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("330045450000MB1519000", "must be 27 characters, got 21"),
        ("330046450000MB1519000000001", r"目 \(characters 4-6\) must be 045"),
        ("430045450000MB1519000000001", r"类 \(character 1\) must be 1 \(基础\), 2 \(主题\) or 3 \(部门\)"),
        ("331045450000MB1519000000001", r"项 \(characters 2-3\) '31' is not an item of the department catalog"),
        ("221045450000MB1519000000001", r"项 \(characters 2-3\) '21' is not an item of the theme catalog"),
        ("106045450000MB1519000000001", r"项 \(characters 2-3\) '06' is not an item of the base catalog"),
        ("330045990000MB1519000000001", r"division code \(characters 7-12\): '99' is not a province code"),
        ("330045110000MB1519000000001", "must be a Guangxi division code"),
        ("330045450000MB151900I000001", r"unit mark \(characters 13-21\) 'MB151900I' has 'I'"),
        ("330045450000MB15190000000A1", r"serial \(characters 22-27\) must be 6 digits"),
        ("330045450000MB1519000000000", "serial must be 000001…999999, got 0"),
    ],
)
def test_malformed_resource_codes_say_why(code: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_resource_code(code)


def test_base_and_theme_codes_carry_their_kind_and_item() -> None:
    """§5.3.1: 类 1 base, 2 theme, 3 department; the item (项) from the code lists; 目 045 and the rest as §7."""
    base = build_resource_code("450000", SEED_UNIT, 7, kind="base", item="01")
    theme = build_resource_code("450000", SEED_UNIT, 8, kind="theme", item="07")
    assert (base[:6], theme[:6]) == ("101045", "207045")
    assert parse_resource_code(base) == ParsedResourceCode("450000", "MB1519000", 7, "base", "01")
    assert parse_resource_code(theme).kind == "theme" and resource_code_matches_provider(theme, SEED_UNIT)
    with pytest.raises(ValueError, match="a base resource names its item"):
        build_resource_code("450000", SEED_UNIT, 1, kind="base")
    with pytest.raises(ValueError, match="'99' is not an item"):
        build_resource_code("450000", SEED_UNIT, 1, kind="theme", item="99")


@pytest.mark.parametrize("serial", [0, 1_000_000, -1])
def test_build_rejects_out_of_range_serial(serial: int) -> None:
    with pytest.raises(ValueError, match="serial must be"):
        build_resource_code("450000", SEED_UNIT, serial)


def test_build_rejects_bad_provider() -> None:
    with pytest.raises(ValueError, match="check character should be 'C', got 'K'"):
        build_resource_code("450000", "11450000MB1519000K", 1)


@given(division_codes())
def test_generated_division_codes_are_valid(code: str) -> None:
    assert check_division_code(code) == code


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("000000", "'00' is not a province code"),
        ("450", "must be 6 digits"),
        ("45010a", "must be 6 digits"),
        ("４５０１００", "must be 6 digits"),  # full-width digits are not ASCII digits
        ("660000", "'66' is not a province code"),
        ("450001", "names a county under no city"),
    ],
)
def test_malformed_division_codes(code: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_division_code(code)


def test_division_levels() -> None:
    assert [division_level(c) for c in ("450000", "450100", "450102", "820000")] == [
        "province",
        "city",
        "county",
        "province",
    ]


def test_the_code_lists_ship_as_versioned_data() -> None:
    from contracts import code_lists

    lists = code_lists.current()
    assert lists.version == max(code_lists.versions()) and lists.region == "045"
    assert [(k.key, k.digit) for k in lists.kinds.values()] == [("base", "1"), ("theme", "2"), ("department", "3")]
    assert lists.kinds["department"].items == {"30": "省(自治区)"}  # §7.1.2
    assert lists.kinds["base"].items["05"] == "电子证照" and len(lists.kinds["theme"].items) == 20  # §5.1.1
    assert {"综合政务", "工业", "农业", "旅游", "交通", "财政"} <= set(lists.domains)  # §5.2(12)
    with pytest.raises(ValueError, match="is not a domain"):
        lists.check_domain("综合政务类别")


def test_a_malformed_code_list_is_refused() -> None:
    from contracts.code_lists import _parse

    good = (
        'version = 9\nregion = "045"\n[kinds.base]\ndigit = "1"\nname = "b"\nitems = { "01" = "x" }\n'
        '[kinds.theme]\ndigit = "2"\nname = "t"\nitems = { "01" = "y" }\n'
        '[kinds.department]\ndigit = "3"\nname = "d"\nitems = { "30" = "z" }\n[domains]\nnames = ["a", "b"]\n')
    assert _parse(good, "t").version == 9
    with pytest.raises(ValueError, match="listed twice"):
        _parse(good.replace('["a", "b"]', '["a", "a"]'), "t")
    with pytest.raises(ValueError, match="two-digit codes"):
        _parse(good.replace('"01" = "x"', '"1" = "x"'), "t")
    with pytest.raises(ValueError, match="digits are 1, 2 and 3"):
        _parse(good.replace('digit = "3"', 'digit = "4"'), "t")
