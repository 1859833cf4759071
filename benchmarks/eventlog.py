"""A realistic year-long event log for benchmarks and tests: a hundred departments and fourteen cities
(with counties) catalogue, exchange, push licenses and get findings over 2019, in random event-time order.

`EventLog(seed)` draws envelopes (`setup()` registers the units, `one()` is one more event); `generate`
writes `n_events` lines of JSON to a file. Only valid contract envelopes are made.
"""

from __future__ import annotations

import json
import random
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


def uscc(division: str, n: int) -> str:
    org8 = f"{n:08d}"
    c9 = 11 - sum(_ORG_CHARS.index(c) * w for c, w in zip(org8, _ORG_WEIGHTS, strict=True)) % 11
    first17 = "11" + division + org8 + ("X" if c9 == 10 else "0" if c9 == 11 else str(c9))
    return first17 + uscc_check_char(first17)


class EventLog:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        cities = [f"45{n:02d}00" for n in range(1, 15)]
        self.departments = [uscc("450000", 1000 + n) for n in range(100)]
        self.cities = [uscc(div, 2000 + n) for n, div in enumerate(cities)]
        self.counties = [(uscc(div[:4] + "02", 3000 + n), self.cities[n]) for n, div in enumerate(cities)]
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
    gen = EventLog(seed)
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
