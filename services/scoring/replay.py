"""Replay an exported event log (JSON Lines, any order, duplicates allowed) into monthly scores.

Pure function of the log and the ruleset: the same events give byte-identical output.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from contracts.fastdecode import DecodeError, decode

from scoring.domain.clock import Instant, month_bounds, to_instant
from scoring.domain.engine import evaluate
from scoring.domain.facts import FactStore
from scoring.domain.result import MonthResult
from scoring.domain.ruleset import Ruleset
from scoring.gcpause import cyclic_gc_paused


@dataclass(frozen=True, slots=True)
class BadLine:
    number: int  # 1-based
    reason: str


@dataclass(frozen=True, slots=True)
class ReplayOutcome:
    result: MonthResult
    events: int  # valid lines folded (duplicates included)
    skipped: tuple[BadLine, ...]


def numbered_lines(stream: BinaryIO, progress: Callable[[int], None] | None = None) -> Iterable[tuple[int, bytes]]:
    if progress is None:
        return enumerate(stream, start=1)
    return _reporting(stream, progress)


def _reporting(stream: BinaryIO, progress: Callable[[int], None]) -> Iterator[tuple[int, bytes]]:
    for number, line in enumerate(stream, start=1):
        progress(len(line))
        yield number, line


def fold_lines(store: FactStore, lines: Iterable[tuple[int, bytes]], on_bad: Callable[[BadLine], None]) -> int:
    """Decode and fold every valid line; invalid ones are reported and skipped. Returns the count. (`replay`
    keeps the cyclic GC paused around it.)"""
    folded = 0
    fold = store.fold
    for number, line in lines:
        try:
            env = decode(line)
        except DecodeError as exc:
            if line.strip():  # blank lines (e.g. a trailing newline) carry no event
                on_bad(BadLine(number, str(exc)))
            continue
        fold(env)
        folded += 1
    return folded


def month_store(month: str, as_of: datetime | None = None) -> tuple[FactStore, Instant]:
    """An empty store for scoring `month` as of its end unless `as_of` (what cannot matter then is dropped as
    it is folded), and the instant to evaluate at."""
    start, end = month_bounds(month)
    t = end if as_of is None else min(to_instant(as_of), end)
    return FactStore(relevant=(start, min(t, end - 1))), t


def replay(
    lines: Iterable[tuple[int, bytes]],
    ruleset: Ruleset,
    month: str,
    as_of: datetime | None = None,
    on_bad: Callable[[BadLine], None] | None = None,
) -> ReplayOutcome:
    """Score every registered department and city for `month`, as of its end unless `as_of`."""
    store, t = month_store(month, as_of)
    bad: list[BadLine] = []

    def keep(line: BadLine) -> None:
        bad.append(line)
        if on_bad is not None:
            on_bad(line)

    # No cyclic GC pass over the store while it grows or is scored: folding allocates millions of acyclic objects,
    # and with the collector back on after the fold, scoring a 1M-event month took 0.62 s instead of 0.40.
    with cyclic_gc_paused():
        events = fold_lines(store, lines, keep)
        result = evaluate(ruleset, store.directory, store, month, t)
    return ReplayOutcome(result, events, tuple(bad))
