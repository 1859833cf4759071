"""#20 part 3: an auditor's evidence package of a closed month verifies with nothing but itself, and any
change to what it carries is reported as a difference, where it is; `replay --explain` says which events
gave a unit its points."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
import zipfile
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from scoring import evidence
from scoring.domain.clock import SHANGHAI
from scoring.domain.ruleset import RULESETS_DIR, builtin_ruleset
from scoring.replay import replay
from scoring.storage.months import unit_canonical

from tests.scoring.builders import sample_log

BIN = Path(sys.executable).with_name("hub-scoring")
MONTH = "2019-08"


async def _each(lines: list[bytes]) -> AsyncIterator[bytes]:
    for line in lines:
        yield line


def package(tmp_path: Path, lines: list[bytes]) -> Path:
    """A package as the service makes it at the close: the results are the replay's (the live projection's
    equal them; tests/scoring_live checks that on the real service)."""
    result = replay(enumerate(lines, start=1), builtin_ruleset(), MONTH).result
    results = [{"unit": u.unit, "total": str(u.total), "sha256": "",
                "result": json.loads(unit_canonical(result, i))} for i, u in enumerate(result.units)]
    closed = evidence.ClosedMonth(MONTH, "gx-2019", builtin_ruleset().version, len(lines),
                                  datetime(2019, 9, 1, tzinfo=SHANGHAI), result.sha256(),
                                  datetime(2019, 9, 2, 10, tzinfo=SHANGHAI), "operator:hub", results)
    out = io.BytesIO()
    asyncio.run(evidence.build(closed, _each(lines), (RULESETS_DIR / "gx-2019.toml").read_text(), out))
    path = tmp_path / "evidence.zip"
    path.write_bytes(out.getvalue())
    return path


def rewrite(path: Path, change: dict[str, bytes], *, fix_manifest: bool = False) -> Path:
    """The package with some files replaced (and, when an attacker is careful, the manifest made to match)."""
    with zipfile.ZipFile(path) as old:
        files = {n: old.read(n) for n in old.namelist()}
    files.update(change)
    if fix_manifest:
        import hashlib

        from scoring.storage.archive import GENESIS, chain

        manifest = json.loads(files["manifest.json"])
        for name in change:
            manifest["files"][name] = hashlib.sha256(files[name]).hexdigest()
        head, events = GENESIS, files["events.jsonl"].splitlines()
        for e in events:
            head = chain(head, e)
        manifest.update(archive_head=head.hex(), last_position=len(events), events=len(events))
        files["manifest.json"] = json.dumps(manifest).encode()
    new = path.with_name("changed.zip")
    with zipfile.ZipFile(new, "w") as z:
        for n, data in files.items():
            z.writestr(n, data)
    return new


def test_a_package_verifies_as_identical_with_nothing_but_itself(tmp_path: Path) -> None:
    lines = sample_log().lines()
    path = package(tmp_path, lines)
    verdict = evidence.verify(path)
    assert verdict.identical, verdict.problems
    assert verdict.events == len(lines) and verdict.units > 0
    out = subprocess.run([str(BIN), "verify", str(path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.startswith("identical:"), out.stdout + out.stderr
    with zipfile.ZipFile(path) as z:
        manifest = json.loads(z.read("manifest.json"))
        assert {"events.jsonl", "ruleset.toml", "results.json", "README.txt"} <= set(z.namelist())
    assert manifest["events"] == len(lines) and manifest["month"] == MONTH


def test_an_event_removed_is_a_difference_even_when_the_manifest_is_made_to_match(tmp_path: Path) -> None:
    lines = sample_log().lines()
    path = package(tmp_path, lines)
    finding = next(i for i, line in enumerate(lines) if b'"scoring.finding-recorded"' in line)
    fewer = b"".join(line + b"\n" for i, line in enumerate(lines) if i != finding)
    plain = evidence.verify(rewrite(path, {"events.jsonl": fewer}))
    assert not plain.identical and any("re-chain" in p for p in plain.problems)
    assert any("events.jsonl is not the file" in p for p in plain.problems)
    careful = evidence.verify(rewrite(path, {"events.jsonl": fewer}, fix_manifest=True))
    assert not careful.identical
    assert any("the month's seal is" in p for p in careful.problems), careful.problems
    assert any("sealed total" in p for p in careful.problems)  # the unit whose points moved, and its items
    out = subprocess.run([str(BIN), "verify", str(rewrite(path, {"events.jsonl": fewer}))], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 1 and out.stdout.startswith("different:")


@pytest.mark.parametrize(("change", "why"), [
    ({"results.json": b"[]"}, "results.json is not the file"),
    ({"ruleset.toml": b"not toml ["}, "does not load"),
    ({"manifest.json": b"{}"}, "not a 'gov-hub evidence 1' package"),
])
def test_a_changed_or_broken_part_is_named(tmp_path: Path, change: dict[str, bytes], why: str) -> None:
    verdict = evidence.verify(rewrite(package(tmp_path, sample_log().lines()), change))
    assert not verdict.identical and any(why in p for p in verdict.problems), verdict.problems


def test_not_a_package_is_said_so(tmp_path: Path) -> None:
    junk = tmp_path / "x.zip"
    junk.write_bytes(b"PK junk")
    assert evidence.verify(junk).problems[0].startswith("not a readable evidence package")


def test_replay_explains_a_units_points_by_their_events(tmp_path: Path) -> None:
    lines = sample_log().lines()
    log = tmp_path / "events.jsonl"
    log.write_bytes(b"\n".join(lines) + b"\n")
    result = replay(enumerate(lines, start=1), builtin_ruleset(), MONTH).result
    unit = next(u for u in result.units if any(u.causes.values()))
    out = subprocess.run([str(BIN), "replay", "--events", str(log), "--month", MONTH, "--explain", unit.unit],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert (doc["unit"], doc["total"]) == (unit.unit, str(unit.total))
    assert [i["item"] for i in doc["items"]] == list(unit.items)
    events = {json.loads(line)["id"]: json.loads(line) for line in lines}
    for item in doc["items"]:
        for e in item["events"]:
            assert (e["type"], e["occurred_at"]) == (events[e["id"]]["type"], events[e["id"]]["occurred_at"])
    assert any(item["events"] for item in doc["items"])
    missing = subprocess.run([str(BIN), "replay", "--events", str(log), "--month", MONTH, "--explain", "nobody"],
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "not scored" in missing.stderr
