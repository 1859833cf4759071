"""Replay benchmark: a realistic year-long event log, replay events/s vs a decode-only pass.

`run(n_events)` writes a log to a temporary file, then times (in fresh subprocesses, so peak
memory is the replay's own) a decode-only pass with the replay's decoder and the full replay
(decode + fold + scoring of every unit). Usage: python -m benchmarks.replay_bench [n_events]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.profiles import REPLAY, run_sampled

_ROOT = Path(__file__).resolve().parents[1]

_PEAK = """
def peak_kib():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""

# Each pass runs in a fresh interpreter and reports its own loop time and peak RSS, so neither
# the generator's memory nor interpreter start-up is charged to the replay.
_DECODE_ONLY = _PEAK + """
import json, sys, time
from contracts.fastdecode import decode
t0 = time.perf_counter()
with open(sys.argv[1], "rb") as f:
    for line in f:
        decode(line)
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "peak_kib": peak_kib()}))
"""

_REPLAY = _PEAK + """
import json, sys, time
from scoring.domain.ruleset import builtin_ruleset
from scoring.replay import numbered_lines, replay
ruleset = builtin_ruleset()
t0 = time.perf_counter()
with open(sys.argv[1], "rb") as f:
    out = replay(numbered_lines(f), ruleset, "2019-08")
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "peak_kib": peak_kib(),
                  "sha256": out.result.sha256(), "units": len(out.result.units)}))
"""

_GENERATE = """
import sys
from pathlib import Path
from benchmarks.eventlog import generate
print(generate(Path(sys.argv[1]), int(sys.argv[2])))
"""


def _child(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, check=False,
                          cwd=_ROOT)  # where `benchmarks` is importable
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child failed: {done.stderr[-2000:]}")
    return done.stdout


def run(n_events: int = 1_000_000) -> dict[str, Any]:
    """Generate a log of n_events, then time a decode-only pass and a full replay of 2019-08."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.jsonl"
        n = int(_child(_GENERATE, str(path), str(n_events)))
        decode = json.loads(_child(_DECODE_ONLY, str(path)))
        full = json.loads(_child(_REPLAY, str(path)))
        # Where a replay's time goes: one more replay, sampled (not the one timed above)
        said, profile = run_sampled([sys.executable, "-c", _REPLAY, str(path)], REPLAY, _ROOT)
        sampled = json.loads(said.strip().splitlines()[-1])
        return {
            "events": n,
            "log_mib": round(path.stat().st_size / 2**20, 1),
            "decode_only_events_per_s": round(n / decode["seconds"]),
            "replay_events_per_s": round(n / full["seconds"]),
            "replay_vs_decode": round(decode["seconds"] / full["seconds"], 3),
            "replay_peak_rss_mib": round(full["peak_kib"] / 1024, 1),
            "units_scored": full["units"],
            "result_sha256": full["sha256"],
            "sampled_run_same_result": sampled["sha256"] == full["sha256"],
            **profile.summary(),
        }


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000), indent=2))
