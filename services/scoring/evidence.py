"""An auditor's evidence package of a closed month, and its verification.

One ZIP file: every archived event the live projection had folded when the month was closed (`events.jsonl`,
archive order, the envelopes byte for byte), the ruleset file it was scored by, the frozen results with their
hashes, and a manifest naming the month, the archive position and the hash chain's head at it, the seal
(SHA-256 of the month's canonical results) and each file's SHA-256. `verify` needs nothing but the package:
the files are the ones the manifest names, the events re-chain to the archive head (an event removed, added,
reordered or edited shows), the ruleset is the one named, and replaying the events gives the sealed results
exactly; otherwise it says where they differ.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from scoring.domain.result import MonthResult
from scoring.domain.ruleset import RulesetError, parse_ruleset
from scoring.replay import replay
from scoring.storage.archive import GENESIS, chain

FORMAT = "gov-hub evidence 1"
MANIFEST, EVENTS, RULESET, RESULTS, README = "manifest.json", "events.jsonl", "ruleset.toml", "results.json", \
    "README.txt"
_HOW = """Evidence of {month}, closed {closed_at} by {closed_by} under {ruleset} v{version}.

events.jsonl   every event the scoring service had folded at the close (archive positions 1-{position}),
               in archive order, each envelope exactly as archived
ruleset.toml   the rules it was scored by
results.json   the frozen result of each unit, with its SHA-256
manifest.json  the month, the archive head at the close, the seal, and the SHA-256 of each file

Verify (needs only this file): hub-scoring verify {name}
"""


@dataclass(frozen=True)
class ClosedMonth:
    """What the service recorded when it closed the month."""

    month: str
    ruleset: str
    ruleset_version: int
    last_position: int
    as_of: datetime
    sha256: str  # the seal: SHA-256 of the month's canonical results
    closed_at: datetime
    closed_by: str
    results: list[dict[str, Any]]  # per unit: unit, total, sha256, result (the canonical document)


@dataclass
class Verdict:
    identical: bool
    problems: list[str] = field(default_factory=list)
    events: int = 0
    units: int = 0


class _Hashing:
    """A file in the ZIP being written, with its SHA-256."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream, self.digest = stream, hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.stream.write(data)
        self.digest.update(data)


async def build(closed: ClosedMonth, events: AsyncIterator[bytes], ruleset_text: str, out: IO[bytes],
                name: str = "evidence.zip") -> dict[str, Any]:
    """Write the package to `out` (events streamed, one in memory at a time); returns the manifest."""
    files: dict[str, str] = {}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as package:
        with package.open(EVENTS, "w", force_zip64=True) as raw:
            target = _Hashing(raw)
            head, count = GENESIS, 0
            async for envelope in events:
                if b"\n" in envelope:  # producers write compact JSON: one line per envelope, byte for byte
                    raise ValueError(f"archived envelope {count + 1} holds a newline")
                target.write(envelope + b"\n")
                head, count = chain(head, envelope), count + 1
            files[EVENTS] = target.digest.hexdigest()
        if count != closed.last_position:
            raise ValueError(f"the archive holds {count} events up to position {closed.last_position}")
        for file, data in ((RULESET, ruleset_text.encode()),
                           (RESULTS, json.dumps(closed.results, ensure_ascii=False, indent=1).encode())):
            package.writestr(file, data)
            files[file] = hashlib.sha256(data).hexdigest()
        manifest = {"format": FORMAT, "month": closed.month, "ruleset": closed.ruleset,
                    "ruleset_version": closed.ruleset_version, "as_of": closed.as_of.isoformat(),
                    "closed_at": closed.closed_at.isoformat(), "closed_by": closed.closed_by,
                    "last_position": closed.last_position, "archive_head": head.hex(), "seal": closed.sha256,
                    "events": count, "units": len(closed.results), "files": files}
        package.writestr(MANIFEST, json.dumps(manifest, indent=1))
        package.writestr(README, _HOW.format(month=closed.month, closed_at=manifest["closed_at"],
                                             closed_by=closed.closed_by, ruleset=closed.ruleset,
                                             version=closed.ruleset_version, position=closed.last_position,
                                             name=name))
    return manifest


def verify(path: Path) -> Verdict:
    """Recompute everything the package claims; `identical` only if every check holds."""
    try:
        with zipfile.ZipFile(path) as package:
            return _verify(package)
    except (zipfile.BadZipFile, OSError) as exc:
        return Verdict(False, [f"not a readable evidence package: {exc}"])


def _verify(package: zipfile.ZipFile) -> Verdict:
    names = set(package.namelist())
    missing = [f for f in (MANIFEST, EVENTS, RULESET, RESULTS) if f not in names]
    if missing:
        return Verdict(False, [f"the package lacks {', '.join(missing)}"])
    try:
        manifest = json.loads(package.read(MANIFEST))
        if manifest.get("format") != FORMAT:
            return Verdict(False, [f"not a {FORMAT!r} package"])
        files: dict[str, str] = manifest["files"]
        month, seal = manifest["month"], manifest["seal"]
    except (ValueError, KeyError, TypeError) as exc:
        return Verdict(False, [f"the manifest does not read: {exc}"])
    verdict = Verdict(True)
    for file in (RULESET, RESULTS):
        if hashlib.sha256(package.read(file)).hexdigest() != files.get(file):
            verdict.problems.append(f"{file} is not the file the manifest names (its SHA-256 differs)")
    lines = list(_events(package, files.get(EVENTS), manifest, verdict))
    verdict.events = len(lines)
    try:
        ruleset = parse_ruleset(package.read(RULESET).decode())
    except (RulesetError, UnicodeDecodeError) as exc:
        verdict.problems.append(f"{RULESET} does not load: {exc}")
        verdict.identical = False
        return verdict
    if (ruleset.id, ruleset.version) != (manifest.get("ruleset"), manifest.get("ruleset_version")):
        verdict.problems.append(f"{RULESET} is {ruleset.id} v{ruleset.version}, the month was closed under "
                                f"{manifest.get('ruleset')} v{manifest.get('ruleset_version')}")
    outcome = replay(lines, ruleset, month)
    verdict.units = len(outcome.result.units)
    if outcome.skipped:
        verdict.problems.append(f"{len(outcome.skipped)} events do not decode (first: line "
                                f"{outcome.skipped[0].number}: {outcome.skipped[0].reason})")
    _compare(outcome.result, seal, json.loads(package.read(RESULTS)), verdict)
    verdict.identical = not verdict.problems
    return verdict


def _events(package: zipfile.ZipFile, expected_sha: str | None, manifest: dict[str, Any],
            verdict: Verdict) -> Iterator[tuple[int, bytes]]:
    """The package's events, numbered, while their file hash and chain are checked."""
    digest, head, count = hashlib.sha256(), GENESIS, 0
    with package.open(EVENTS) as stream:
        for count, line in enumerate(stream, start=1):
            digest.update(line)
            envelope = line[:-1] if line.endswith(b"\n") else line
            head = chain(head, envelope)
            yield count, envelope
    if digest.hexdigest() != expected_sha:
        verdict.problems.append(f"{EVENTS} is not the file the manifest names (its SHA-256 differs)")
    if count != manifest.get("last_position") or head.hex() != manifest.get("archive_head"):
        verdict.problems.append(f"the events do not re-chain to the archive head at position "
                                f"{manifest.get('last_position')} ({count} events): an event was removed, added, "
                                "reordered or changed")


def _compare(result: MonthResult, seal: str, frozen: list[dict[str, Any]], verdict: Verdict) -> None:
    if result.sha256() == seal:
        return
    verdict.problems.append(f"the replay's results hash to {result.sha256()}, the month's seal is {seal}")
    mine = {u.unit: u for u in result.units}
    for row in frozen:
        unit = mine.pop(row["unit"], None)
        if unit is None:
            verdict.problems.append(f"{row['unit']}: sealed with total {row['total']}, absent from the replay")
            continue
        sealed_items, items = row["result"].get("items", {}), unit.canonical()["items"]
        if unit.canonical()["total"] != row["result"].get("total") or sealed_items != items:
            changed = sorted(k for k in {*sealed_items, *items} if sealed_items.get(k) != items.get(k))
            verdict.problems.append(f"{row['unit']}: sealed total {row['result'].get('total')}, replayed "
                                    f"{unit.canonical()['total']} (items {', '.join(changed) or 'equal'})")
    verdict.problems += [f"{u}: in the replay ({mine[u].total}), not among the sealed results" for u in sorted(mine)]


def explain(result: MonthResult, unit: str, times: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    """Each item of a unit's result with its points and the events that caused them (id, type, time)."""
    found = next((u for u in result.units if u.unit == unit), None)
    if found is None:
        return []
    return [{"item": item, "points": str(points),
             "events": [{"id": i, "type": times.get(i, ("?", "?"))[0], "occurred_at": times.get(i, ("?", "?"))[1]}
                        for i in found.causes.get(item, ())]}
            for item, points in found.items.items()]
