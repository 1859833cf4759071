"""Any permutation of an event log, with any duplicates, gives byte-identical replay output."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scoring.domain.ruleset import builtin_ruleset
from scoring.replay import replay

from tests.scoring.builders import sample_log

LINES = sample_log().lines()
RULESET = builtin_ruleset()


def _run(lines: list[bytes], month: str) -> tuple[str, bytes]:
    out = replay(enumerate(lines, start=1), RULESET, month)
    return out.result.replay_json(), out.result.canonical_json()


BASELINE = {m: _run(LINES, m) for m in ("2019-07", "2019-08", "2019-10")}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    order=st.permutations(LINES),
    dupes=st.lists(st.sampled_from(LINES), max_size=20),
    where=st.lists(st.integers(min_value=0, max_value=len(LINES)), max_size=20),
)
def test_permutations_with_duplicates_are_byte_identical(
    order: list[bytes], dupes: list[bytes], where: list[int]
) -> None:
    shuffled = list(order)
    for line, pos in zip(dupes, where, strict=False):
        shuffled.insert(pos, line)
    for month, expected in BASELINE.items():
        assert _run(shuffled, month) == expected


def test_the_sample_log_scores_something() -> None:
    # guards the property above against a vacuous log
    text = BASELINE["2019-08"][0]
    for item in ('"B1.8": "8"', '"C2.2": "4"', '"A5.3": "0.5"', '"C2.1": "4"', '"E1.5": "4"', '"B4.13": "0.5"'):
        assert item in text, item
