"""`hub-scoring replay` end to end, as an auditor runs it."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

from scoring.domain.ruleset import builtin_ruleset
from scoring.replay import replay

from tests.scoring.builders import sample_log

BIN = Path(sys.executable).with_name("hub-scoring")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=120, check=False)


def test_replay_prints_the_month_and_reports_bad_lines(tmp_path: Path) -> None:
    lines = sample_log().lines()
    bad_uscc = json.loads(lines[0])
    bad_uscc["unit"] = bad_uscc["unit"][:-1] + ("0" if bad_uscc["unit"][-1] != "0" else "1")
    log = tmp_path / "events.jsonl"
    body = (
        [line.decode() for line in lines[:3]]
        + [json.dumps(bad_uscc), "{not json"]
        + [line.decode() for line in lines[3:]]
    )
    log.write_text("\n".join(body) + "\n", encoding="utf-8")

    out = _run("replay", "--events", str(log), "--month", "2019-08", "--format", "json")
    assert out.returncode == 3, out.stderr
    assert ":4:" in out.stderr and ":5:" in out.stderr and "unit" in out.stderr
    assert out.stdout.startswith('{"ruleset": "gx-2019", "month": "2019-08", "units": [{"unit": "')
    expected = replay(enumerate(lines, start=1), builtin_ruleset(), "2019-08").result.replay_json()
    assert out.stdout == expected + "\n"
    doc = json.loads(out.stdout)
    assert [u["unit"] for u in doc["units"]] == sorted(u["unit"] for u in doc["units"])
    assert all(list(u) == ["unit", "x", "y", "total", "band", "list", "items"] for u in doc["units"])


def test_replay_is_byte_identical_across_shuffles_and_as_of(tmp_path: Path) -> None:
    lines = [line.decode() for line in sample_log().lines()]
    outputs = []
    for seed in (1, 2):
        shuffled = lines + lines[:5]
        random.Random(seed).shuffle(shuffled)
        path = tmp_path / f"e{seed}.jsonl"
        path.write_text("\n".join(shuffled) + "\n", encoding="utf-8")
        out = _run("replay", "--events", str(path), "--month", "2019-08", "--as-of", "2019-08-15T00:00:00+08:00")
        assert out.returncode == 0, out.stderr
        outputs.append(out.stdout)
    assert outputs[0] == outputs[1]


def test_replay_with_another_ruleset_and_bad_arguments(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text("\n".join(line.decode() for line in sample_log().lines()) + "\n", encoding="utf-8")
    mini = Path(__file__).with_name("mini_ruleset.toml")
    out = _run("replay", "--events", str(path), "--month", "2019-08", "--ruleset", str(mini))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["ruleset"] == "mini"
    assert _run("replay", "--events", str(path), "--month", "2019-13").returncode == 2
    broken = tmp_path / "broken.toml"
    broken.write_text(mini.read_text().replace('kind = "flag"', 'kind = "nope"', 1))
    bad = _run("replay", "--events", str(path), "--month", "2019-08", "--ruleset", str(broken))
    assert bad.returncode == 2 and "unknown kind 'nope'" in bad.stderr
