"""The gx-2019 ruleset file is complete, and bad rulesets fail to load with clear messages."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from scoring.domain.ruleset import RULESETS_DIR, RulesetError, builtin_ruleset, parse_ruleset

GX = (RULESETS_DIR / "gx-2019.toml").read_text(encoding="utf-8")


def test_every_indicator_and_item_of_the_table() -> None:
    rs = builtin_ruleset()
    assert (rs.id, rs.version) == ("gx-2019", 1)
    points = {i.id: i.points for i in rs.indicators}
    assert points == {
        "A1": 10,
        "A2": 11,
        "A3": 12,
        "A4": 5,
        "A5": 5,
        "B1": 18,
        "B2": 10,
        "B3": 6,
        "B4": 9,
        "C1": 2,
        "C2": 8,
        "C3": 4,
        "D1": 5,
        "D2": 5,
        "D3": 5,
        "D4": 3,
        "D5": 8,
        "D6": 6,
        "D7": 3,
        "D8": 2,
        "E1": 9,
        "E2": 4,
    }
    counts = {
        "A1": 8,
        "A2": 7,
        "A3": 8,
        "A4": 6,
        "A5": 6,
        "B1": 9,
        "B2": 9,
        "B3": 4,
        "B4": 13,
        "C1": 2,
        "C2": 5,
        "C3": 4,
        "D5": 4,
        "D6": 2,
        "E1": 5,
        "E2": 4,
    }
    for ind in rs.indicators:
        assert len(ind.items) == counts.get(ind.id, 1), ind.id
    assert rs.absent_able == {"A1", "A2", "A3", "A4", "B3"}
    assert {i.id: i.tied_to for i in rs.bonuses if i.tied_to} == {
        "D1": "A1",
        "D2": "A2",
        "D3": "A3",
        "D4": "A4",
        "D8": "B3",
    }
    b45 = rs.items["B4.5"]
    assert [t.points for t in b45.tiers] == [Decimal(1), Decimal(1), Decimal("0.3"), Decimal("0.2")]
    assert rs.items["C1.2"].starts.isoformat() == "2019-07-01"  # the e-seal launch parameter
    assert rs.items["A1.8"].applies_to == ("city",)
    assert all(item.label_zh and item.label_en for item in rs.items.values())


def _broken(pattern: str, replacement: str) -> str:
    text, n = re.subn(pattern, replacement, GX, count=1, flags=re.S)
    assert n == 1, pattern
    return text


@pytest.mark.parametrize(
    ("pattern", "replacement", "message"),
    [
        (r'id = "A1.1"\nkind = "flag"', 'id = "A1.1"\nkind = "sometimes"', r"A1\.1.*unknown kind 'sometimes'"),
        (r"\{ below = 30, points = 4 \}", "{ below = 5, points = 4 }", r"A2\.6.*thresholds must increase"),
        (
            r'id = "A4.3"\nkind = "flag"\npoints = 1',
            'id = "A4.3"\nkind = "flag"\npoints = 6',
            r"A4\.3.*exceed indicator A4",
        ),
        (r'metric = "stale_resources"', 'metric = "vibes"', r"B1\.6.*unknown metric 'vibes'"),
        (r'id = "D1"\npart = "Y"\npoints = 5', 'id = "D1"\npart = "Y"\npoints = 6', r"part Y .* sum to 51"),
        (r'starts = "\$eseal_launch"', 'starts = "$nope"', r"C1\.2.*unknown parameter"),
        (r"\{ below = 80, points = 2 \}", "{ below = 80, points = 3.5 }", r"A2\.6.*tier points must not increase"),
    ],
)
def test_load_errors_name_the_item(pattern: str, replacement: str, message: str) -> None:
    with pytest.raises(RulesetError, match=message):
        parse_ruleset(_broken(pattern, replacement))


def test_a_new_year_is_a_new_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    other = tmp_path / "gx-2020.toml"
    other.write_text(GX.replace('id = "gx-2019"', 'id = "gx-2020"').replace("version = 1", "version = 3", 1))
    from scoring.domain.ruleset import load_ruleset

    rs = load_ruleset(other)
    assert (rs.id, rs.version) == ("gx-2020", 3)
