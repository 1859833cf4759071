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
        ("330046450000MB1519000000001", "must start with 330045"),
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
