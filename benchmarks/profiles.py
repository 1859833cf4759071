"""Where a benchmark's time goes: py-spy's samples of the process under test, summed into named parts.

A figure that misses its goal is reported with the profile that explains it: each sample (a Python stack) counts
for the part of its innermost frame that names one (a frame's file path contains one of the part's patterns; the
parts are tried in order), "other" when none does. Shares are of the samples in which the process was busy
(py-spy leaves out a thread waiting in the event loop's select). Sampling does not stop the process
(`--nonblocking`); samples taken while a module is imported are left out (start-up). A machine where py-spy
cannot attach (no ptrace permission) reports why instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Parts = Sequence[tuple[str, tuple[str, ...]]]  # (part, path patterns), tried in order
# Stacks as text, whole file paths (the short ones drop a package's name: opentelemetry's read "trace/…"), never
# stopping the process to sample it.
_RAW = ("--format", "raw", "--full-filenames", "--nonblocking")

EVENT_LOOP = ("asyncio/", "selectors.py", "uvloop/")
REPLAY: Parts = (("decode", ("contracts/fastdecode",)),
                 ("fold", ("scoring/domain/facts/", "scoring/domain/projection")),
                 ("score the month", ("scoring/domain/",)), ("read lines", ("scoring/replay",)))
INGEST: Parts = (("Kafka client (fetch, parse)", ("aiokafka/",)), ("decode", ("contracts/fastdecode",)),
                 ("fold", ("scoring/domain/facts/", "scoring/domain/projection")),
                 ("re-score", ("scoring/domain/",)),
                 ("commit (archive rows, scores, offsets)", ("asyncpg/", "scoring/storage/", "hubkit/outbox",
                                                             "scoring/messaging/batches")),
                 ("tracing", ("opentelemetry/",)), ("projection loop", ("scoring/messaging/",)),
                 ("event loop", EVENT_LOOP))
GATEWAY: Parts = (("tracing", ("opentelemetry/",)), ("provider call (aiohttp)", ("aiohttp/",)),
                  ("database (admission, quota, call records)", ("asyncpg/", "exchange/storage/")),
                  ("gateway logic", ("exchange/",)),
                  ("HTTP server and middleware", ("uvicorn/", "starlette/", "fastapi/", "hubkit/")),
                  ("event loop and sockets", EVENT_LOOP))
IMPORT: Parts = (("database (COPY, insert, checks)", ("asyncpg/", "elicense/storage/", "hubkit/outbox")),
                 ("event encoding", ("contracts/",)), ("line checks", ("elicense/",)),
                 ("HTTP (request body)", ("httpx/", "starlette/", "fastapi/", "uvicorn/", "hubkit/")),
                 ("event loop", EVENT_LOOP))


@dataclass
class Profile:
    samples: int = 0
    parts: dict[str, float] = field(default_factory=dict)  # percent of the busy samples, largest first
    unavailable: str | None = None
    busy: float | None = None  # busy samples per possible sample (rate x seconds; all threads, so it may pass 1)

    def fill(self, raw: Iterable[str], parts: Parts) -> None:
        counts, total = breakdown(raw, parts)
        self.samples = total
        self.parts = {name: round(100 * n / total, 1) for name, n in counts.most_common()} if total else {}
        if not total:
            self.unavailable = "no busy samples"

    def summary(self) -> dict[str, Any]:
        if self.unavailable is not None:
            return {"profile": f"unavailable: {self.unavailable}"}
        out: dict[str, Any] = {"profile": ", ".join(f"{name} {share:g}%" for name, share in self.parts.items()),
                               "profile_samples": self.samples}
        if self.busy is not None:
            out["profile_busy"] = round(self.busy, 2)
        return out


def part_of(stack: str, parts: Parts) -> str | None:
    """The part a sample counts for; None for a sample taken while a module is imported (start-up, not the
    work measured: an imported module's frames would pass for the part its path names)."""
    if "<frozen importlib" in stack:
        return None
    for frame in reversed(stack.split(";")):
        path = frame[frame.rfind("(") + 1:]
        for name, patterns in parts:
            if any(p in path for p in patterns):
                return name
    return "other"


def breakdown(raw: Iterable[str], parts: Parts) -> tuple[Counter[str], int]:
    """Samples per part from py-spy's raw output (one stack per line, frames joined by ';', then a count)."""
    counts: Counter[str] = Counter()
    for line in raw:
        stack, _, n = line.rstrip().rpartition(" ")
        if stack and n.isdigit() and (part := part_of(stack, parts)) is not None:
            counts[part] += int(n)
    return counts, sum(counts.values())


def _py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


@contextlib.asynccontextmanager
async def sampling(pid: int, parts: Parts, rate: int = 100) -> AsyncIterator[Profile]:
    """Samples process `pid` while the block runs; the profile is filled when it ends."""
    profile, exe = Profile(), _py_spy()
    if exe is None:
        profile.unavailable = "py-spy is not installed"
        yield profile
        return
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        out = Path(tmp) / "raw.txt"
        proc = await asyncio.create_subprocess_exec(
            exe, "record", "--pid", str(pid), "--rate", str(rate), *_RAW, "--output", str(out),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        began = time.monotonic()
        try:
            yield profile
        finally:
            seconds = time.monotonic() - began
            if proc.returncode is None:
                proc.send_signal(signal.SIGINT)  # py-spy writes what it sampled and exits
            try:
                said, _ = await asyncio.wait_for(proc.communicate(), 30)
            except TimeoutError:
                proc.kill()
                said = b"py-spy did not stop"
            _read(profile, out, said, parts)
            if profile.samples and seconds > 0:
                profile.busy = profile.samples / (rate * seconds)


def run_sampled(argv: list[str], parts: Parts, cwd: Path, rate: int = 200) -> tuple[str, Profile]:
    """Run a command under py-spy; its standard output (py-spy's own lines left out) and its profile."""
    profile, exe = Profile(), _py_spy()
    if exe is None:
        profile.unavailable = "py-spy is not installed"
        return subprocess.run(argv, capture_output=True, text=True, check=True, cwd=cwd).stdout, profile
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        out = Path(tmp) / "raw.txt"
        done = subprocess.run([exe, "record", "--rate", str(rate), *_RAW, "--output", str(out), "--", *argv],
                              capture_output=True, text=True, check=False, cwd=cwd, env=os.environ)
        _read(profile, out, (done.stdout + done.stderr).encode(), parts)
        if not out.exists():  # py-spy could not run it: run it plainly, the figures need its output
            return subprocess.run(argv, capture_output=True, text=True, check=True, cwd=cwd).stdout, profile
    return "\n".join(line for line in done.stdout.splitlines() if not line.startswith("py-spy>")), profile


def _read(profile: Profile, out: Path, said: bytes, parts: Parts) -> None:
    if out.exists():
        profile.fill(out.read_text(encoding="utf-8", errors="replace").splitlines(), parts)
    else:
        lines = [line for line in said.decode(errors="replace").splitlines() if line.strip()]
        profile.unavailable = (lines[-1] if lines else "py-spy wrote nothing")[:200]
