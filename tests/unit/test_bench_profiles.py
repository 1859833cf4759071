"""The benchmarks' profiles: py-spy's raw stacks summed into named parts by each stack's innermost frame that
names one."""

from __future__ import annotations

from benchmarks.profiles import INGEST, REPLAY, Profile, breakdown, part_of

RAW = [
    "<module> (benchmarks/x.py:1);replay (scoring/replay.py:80);decode (contracts/fastdecode.py:40) 30",
    "<module> (benchmarks/x.py:1);replay (scoring/replay.py:82);fold (scoring/domain/facts/store.py:150);"
    "_finding (scoring/domain/facts/findings.py:70) 50",
    "<module> (benchmarks/x.py:1);replay (scoring/replay.py:90);evaluate (scoring/domain/engine.py:160) 15",
    "<module> (benchmarks/x.py:1);numbered_lines (scoring/replay.py:20) 4",
    "<module> (benchmarks/x.py:1);dumps (json/encoder.py:200) 1",
    "<module> (<string>:2);_find_and_load (<frozen importlib._bootstrap>:1176);<module> (scoring/domain/kinds.py:1) 9",
    "not a stack",
]


def test_each_sample_counts_for_its_innermost_named_part_and_start_up_for_none() -> None:
    counts, total = breakdown(RAW, REPLAY)
    assert total == 100
    assert counts == {"decode": 30, "fold": 50, "score the month": 15, "read lines": 4, "other": 1}


def test_the_parts_are_tried_in_order_at_each_frame() -> None:
    # a fold's frame is "scoring/domain/facts/": the fold, though "scoring/domain/" (re-scoring) matches it too
    assert part_of("loop (scoring/messaging/projector.py:9);apply (scoring/domain/facts/store.py:1)", INGEST) == "fold"
    assert part_of("loop (scoring/messaging/projector.py:9);send (asyncpg/connection.py:1)", INGEST).startswith(
        "commit")
    assert part_of("loop (scoring/messaging/projector.py:9);json (json/decoder.py:1)", INGEST) == "projection loop"


def test_a_profile_says_its_shares_largest_first_or_why_there_is_none() -> None:
    profile = Profile()
    profile.fill(RAW, REPLAY)
    assert list(profile.parts) == ["fold", "decode", "score the month", "read lines", "other"]
    assert profile.summary()["profile"].startswith("fold 50%, decode 30%")
    empty = Profile()
    empty.fill([], REPLAY)
    assert empty.summary() == {"profile": "unavailable: no busy samples"}
