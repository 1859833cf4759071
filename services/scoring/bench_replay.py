"""Replay benchmark: a realistic year-long event log, replay events/s vs a decode-only pass.

`run(n_events)` writes a log to a temporary file, then times (in fresh subprocesses, so peak
memory is the replay's own) a decode-only pass with the replay's decoder and the full replay
(decode + fold + scoring of every unit). Usage: python -m scoring.bench_replay [n_events]
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from contracts.fastdecode import uscc_check_char

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_TZ = "+08:00"
_START = datetime(2019, 1, 1)
_SECONDS = 365 * 86400


def _uscc(division: str, n: int) -> str:
    org8 = f"{n:08d}"
    c9 = 11 - sum(_ORG_CHARS.index(c) * w for c, w in zip(org8, _ORG_WEIGHTS, strict=True)) % 11
    first17 = "11" + division + org8 + ("X" if c9 == 10 else "0" if c9 == 11 else str(c9))
    return first17 + uscc_check_char(first17)


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        cities = [f"45{n:02d}00" for n in range(1, 15)]
        self.departments = [_uscc("450000", 1000 + n) for n in range(100)]
        self.cities = [_uscc(div, 2000 + n) for n, div in enumerate(cities)]
        self.counties = [(_uscc(div[:4] + "02", 3000 + n), self.cities[n]) for n, div in enumerate(cities)]
        self.units = self.departments + self.cities
        self.codes = {u: [self.code(u, s) for s in range(1, 41)] for u in self.units}

    @staticmethod
    def code(unit: str, serial: int) -> str:
        return "330045" + unit[2:8] + unit[8:17] + f"{serial:06d}"

    def when(self) -> str:
        t = _START + timedelta(seconds=self.rng.randrange(_SECONDS))
        return t.isoformat() + _TZ

    def env(self, type_: str, unit: str, data: dict[str, Any], when: str | None = None) -> dict[str, Any]:
        return {
            "id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            "type": type_,
            "version": 1,
            "source": type_.split(".")[0],
            "unit": unit,
            "occurred_at": when or self.when(),
            "data": data,
        }

    def setup(self) -> list[dict[str, Any]]:
        out = []
        for u in self.departments:
            absent = self.rng.sample(["A1", "A2", "A3", "A4", "B3"], self.rng.randrange(3))
            out.append(
                self.env(
                    "registry.unit-registered",
                    u,
                    {
                        "name": "dept",
                        "kind": "department",
                        "division_code": "450000",
                        "parent_unit": None,
                        "absent_indicators": absent,
                    },
                    "2019-01-01T00:00:00+08:00",
                )
            )
        for u in self.cities:
            out.append(
                self.env(
                    "registry.unit-registered",
                    u,
                    {
                        "name": "city",
                        "kind": "city",
                        "division_code": u[2:8],
                        "parent_unit": None,
                        "absent_indicators": [],
                    },
                    "2019-01-01T00:00:00+08:00",
                )
            )
        for u, parent in self.counties:
            out.append(
                self.env(
                    "registry.unit-registered",
                    u,
                    {
                        "name": "county",
                        "kind": "county",
                        "division_code": u[2:8],
                        "parent_unit": parent,
                        "absent_indicators": [],
                    },
                    "2019-01-01T00:00:00+08:00",
                )
            )
        for u in self.units:
            codes = self.codes[u]
            for batch, kind, part, deadline in (
                ("fb", "first_batch_catalog", codes[:30], "2019-08-31"),
                ("be", "business_environment", codes[30:34], "2019-06-30"),
                ("hf", "high_frequency", codes[34:38], "2019-07-31"),
                ("th", "theme", codes[38:], "2019-09-30"),
            ):
                out.append(
                    self.env(
                        "catalog.requirement-assigned",
                        u,
                        {"batch_id": f"{batch}-{u}", "batch_kind": kind, "resource_codes": part, "deadline": deadline},
                        "2019-05-01T09:00:00+08:00",
                    )
                )
            for c in codes:
                if self.rng.random() < 0.9:
                    out.append(
                        self.env(
                            "catalog.resource-published",
                            u,
                            {
                                "resource_code": c,
                                "name": "res",
                                "share_type": "conditional",
                                "update_cycle": self.rng.choice(["daily", "weekly", "monthly", "quarterly"]),
                            },
                        )
                    )
                if self.rng.random() < 0.8:
                    out.append(self.env("catalog.resource-mounted", u, {"resource_code": c, "mount_kind": "api"}))
            out.append(
                self.env(
                    "elicense.types-claimed",
                    u,
                    {
                        "license_types": [f"T{u[-3:]}{k}" for k in range(3)],
                        "declared_stock": self.rng.choice([None, 5000, 20000]),
                    },
                )
            )
        return out

    def one(self) -> dict[str, Any]:
        r = self.rng.random()
        u = self.rng.choice(self.units)
        code = self.rng.choice(self.codes[u])
        kind = "government" if self.rng.random() < 0.8 else "supervision"
        if r < 0.40:
            return self.env(
                "elicense.license-pushed",
                u,
                {
                    "license_id": f"L{self.rng.getrandbits(40)}",
                    "license_type": f"T{u[-3:]}{self.rng.randrange(3)}",
                    "push_mode": self.rng.choice(["stock", "stock", "auto_incremental", "manual"]),
                    "file_format": self.rng.choice(["ofd", "pdf", None]),
                    "sealed": self.rng.random() < 0.9,
                },
            )
        if r < 0.55:
            return self.env(
                "exchange.call-failed",
                u,
                {
                    "call_id": f"c{self.rng.getrandbits(40)}",
                    "resource_code": code,
                    "consumer_unit": self.rng.choice(self.units),
                    "data_kind": kind,
                    "error": "timeout",
                },
            )
        if r < 0.70:
            return self.env("catalog.resource-updated", u, {"resource_code": code, "records": 10})
        if r < 0.80:
            return self.env(
                "exchange.data-used",
                u,
                {
                    "resource_code": code,
                    "consumer_unit": u,
                    "purpose": self.rng.choice(["general", "high_frequency", "business_environment"]),
                },
            )
        if r < 0.90:
            return self.env(
                "elicense.license-used",
                u,
                {
                    "license_id": f"L{self.rng.getrandbits(40)}",
                    "issuer_unit": self.rng.choice(self.units),
                    "sealed": self.rng.random() < 0.95,
                    "waived_materials": self.rng.randrange(3),
                },
            )
        if r < 0.98:
            rid = f"q{self.rng.getrandbits(40)}"
            t = _START + timedelta(seconds=self.rng.randrange(_SECONDS))
            fwd = t.isoformat() + _TZ
            decided = (t + timedelta(hours=self.rng.randrange(1, 200))).isoformat() + _TZ
            step = self.rng.random()
            if step < 0.34:
                return self.env(
                    "exchange.request-submitted",
                    u,
                    {
                        "request_id": rid,
                        "requester_unit": self.rng.choice(self.units),
                        "resource_code": code,
                        "data_kind": kind,
                    },
                    fwd,
                )
            if step < 0.67:
                return self.env("exchange.request-forwarded", u, {"request_id": rid, "data_kind": kind}, fwd)
            return self.env(
                "exchange.request-approved", u, {"request_id": rid, "data_kind": kind, "forwarded_at": fwd}, decided
            )
        if r < 0.99:
            return self.env(
                "exchange.dispute-upheld",
                u,
                {"dispute_id": f"d{self.rng.getrandbits(30)}", "resource_code": code, "data_kind": kind},
            )
        findings: list[tuple[str, str, dict[str, Any]]] = [
            ("A1.2", "holds", {}),
            ("A1.2", "resolved", {}),
            ("A1.3", "occurrence", {"count": 2}),
            ("C2.2", "occurrence", {"count": 1, "attributed_unit": self.rng.choice(self.units)}),
            ("A2.6", "rate", {"numerator": 3, "denominator": 10}),
            ("E1.5", "achieved", {}),
            ("D3", "achieved", {"size": 40}),
        ]
        item, effect, extra = self.rng.choice(findings)
        return self.env(
            "scoring.finding-recorded",
            u,
            {
                "finding_id": f"f{self.rng.getrandbits(40)}",
                "item": item,
                "effect": effect,
                "inspector": "bench",
                **extra,
            },
        )


def generate(path: Path, n_events: int, seed: int = 2019) -> int:
    """Write a shuffled log of about n_events lines (1% duplicates) to path."""
    gen = _Gen(seed)
    events = gen.setup()
    while len(events) < n_events * 0.99:
        events.append(gen.one())
    events += gen.rng.sample(events, n_events - len(events))
    gen.rng.shuffle(events)
    with path.open("w", encoding="utf-8") as out:
        for e in events:
            out.write(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n")
    return len(events)


# Peak RSS of this interpreter: VmHWM belongs to the address space exec created, whereas
# ru_maxrss survives fork+exec on Linux and would report a big parent's peak instead.
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
from scoring.bench_replay import generate
print(generate(Path(sys.argv[1]), int(sys.argv[2])))
"""


def _child(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, check=False)
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
        return {
            "events": n,
            "log_mib": round(path.stat().st_size / 2**20, 1),
            "decode_only_events_per_s": round(n / decode["seconds"]),
            "replay_events_per_s": round(n / full["seconds"]),
            "replay_vs_decode": round(decode["seconds"] / full["seconds"], 3),
            "replay_peak_rss_mib": round(full["peak_kib"] / 1024, 1),
            "units_scored": full["units"],
            "result_sha256": full["sha256"],
        }


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000), indent=2))
