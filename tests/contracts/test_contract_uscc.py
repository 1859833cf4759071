"""Unified social credit codes, GB 32100-2015."""

from __future__ import annotations

import pytest
from contracts.uscc import CHARSET, make_uscc, org_code_check_char, uscc_check_char, validate_uscc
from hypothesis import given
from hypothesis import strategies as st

from tests.contracts.contract_strategies import usccs

SEED_SAMPLE = "11450000MB1519000K"  # seed 003 §7.1.4.2: its check character is wrong
GB_EXAMPLE = "91350100M000100Y43"  # the standard's own worked example


def test_seed_sample_check_character_is_c() -> None:
    assert uscc_check_char(SEED_SAMPLE[:17]) == "C"
    with pytest.raises(ValueError, match="check character should be 'C', got 'K'"):
        validate_uscc(SEED_SAMPLE)
    assert validate_uscc("11450000MB1519000C") == "11450000MB1519000C"


def test_standard_example_is_valid() -> None:
    assert uscc_check_char(GB_EXAMPLE[:17]) == "3"
    assert validate_uscc(GB_EXAMPLE) == GB_EXAMPLE
    # its organisation code M000100Y4 carries a correct GB 11714 check character
    assert org_code_check_char("M000100Y") == "4"


@pytest.mark.parametrize(
    "code",
    [
        "114500000000000260",  # Σ = 403 ≡ 0 (mod 31): 31 - 0 = 31, written '0'
        "11450000000000016Y",  # Σ = 373 ≡ 1: 30, the last character of the alphabet
        "114500000000000071",
    ],
)
def test_check_character_edge_values(code: str) -> None:
    assert uscc_check_char(code[:17]) == code[17]
    assert validate_uscc(code) == code


def _reference_check_char(first17: str) -> str:
    # written independently from the standard's text: letters take their place in the alphabet
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [3**i % 31 for i in range(17)]  # the standard's weights are 3^i mod 31
    remainder = sum(alphabet.index(c) * w for c, w in zip(first17, weights, strict=True)) % 31
    return alphabet[(31 - remainder) % 31]


@given(st.text(alphabet=CHARSET, min_size=17, max_size=17))
def test_check_char_matches_reference(first17: str) -> None:
    assert uscc_check_char(first17) == _reference_check_char(first17)


def test_make_uscc_appends_org_and_uscc_check_characters() -> None:
    code = make_uscc("450000", "MB151900")
    assert code[:8] == "11450000"
    assert code[8:17] == "MB151900" + org_code_check_char("MB151900")
    assert code[17] == uscc_check_char(code[:17])
    assert make_uscc("450100", "MB1519000", authority="5", kind="2") == "52450100MB1519000" + uscc_check_char(
        "52450100MB1519000"
    )


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("11450000MB1519000", "must be 18 characters, got 17"),
        ("11450000MB1519000CC", "must be 18 characters, got 19"),
        ("11450000MI1519000C", "character 'I' at position 10 is not in the GB 32100 alphabet"),
        ("11450000MO1519000C", "character 'O'"),
        ("11450000mb1519000C", "lower case is not allowed"),
        ("Z1450000MB1519000C", "character 'Z' at position 1"),
        ("B1450000MB1519000C", "registration authority code 'B' is not defined"),
        ("14450000MB1519000C", "organisation type '4' is not defined for registration authority '1'"),
        ("11990000MB1519000C", "characters 3-8 '990000' are not a division code: '99' is not a province code"),
        ("11450012MB1519000C", "characters 3-8 '450012' are not a division code"),
    ],
)
def test_malformed_codes_say_why(code: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        validate_uscc(code)


def test_make_uscc_rejects_bad_org_code_length() -> None:
    with pytest.raises(ValueError, match="8 or 9 characters"):
        make_uscc("450000", "MB15")


@given(usccs())
def test_every_generated_code_is_valid(code: str) -> None:
    assert validate_uscc(code) == code


@given(usccs(), st.integers(0, 17), st.sampled_from(CHARSET + "IOSVZa-"))
def test_any_single_character_change_is_rejected(code: str, position: int, char: str) -> None:
    changed = code[:position] + char + code[position + 1 :]
    if changed == code:
        return
    with pytest.raises(ValueError):
        validate_uscc(changed)
