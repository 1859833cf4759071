"""Scores as published: exact decimals, canonical JSON and its hash for month close."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from scoring.domain.clock import Instant, format_instant

CENT = Decimal("0.01")


def round_half_up(value: Fraction | Decimal) -> Decimal:
    """Exact half-up rounding to 2 decimals (a Fraction never loses digits before rounding)."""
    frac = Fraction(value)
    sign = -1 if frac < 0 else 1
    cents = (abs(frac) * 100 + Fraction(1, 2)).__floor__()
    return (Decimal(sign * cents) / 100).quantize(CENT)


def two(d: Decimal) -> str:
    return str(d.quantize(CENT, rounding=ROUND_HALF_UP))


def plain(d: Decimal) -> str:
    """A decimal without trailing zeros or exponent: 6, 0.5, 1.5, 16."""
    text = format(d.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _canonical_bytes(doc: dict[str, Any]) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the form that is hashed at month close."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True, slots=True)
class UnitResult:
    unit: str
    month: str
    as_of: Instant  # the effective T (clamped to the month's end)
    ruleset_id: str
    ruleset_version: int
    x: Decimal
    y: Decimal
    total: Decimal
    band: str
    listing: str  # red | black | none
    items: dict[str, Decimal]  # non-zero points before the indicator cap, table order
    indicators: dict[str, Decimal]  # non-zero points after the indicator cap
    causes: dict[str, tuple[str, ...]]  # item -> ids (UUID text) of the events that caused its points
    absent: tuple[str, ...]

    def canonical(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "x": two(self.x),
            "y": two(self.y),
            "total": two(self.total),
            "band": self.band,
            "list": self.listing,
            "absent_indicators": list(self.absent),
            "items": {k: two(v) for k, v in self.items.items()},
            "indicators": {k: two(v) for k, v in self.indicators.items()},
            "causes": {k: list(v) for k, v in self.causes.items()},
        }

    @classmethod
    def from_canonical(cls, doc: dict[str, Any], month: str, as_of: Instant, ruleset_id: str,
                       ruleset_version: int) -> UnitResult:
        """The result `canonical()` gave (decimals at two places, which is all it ever states): a shard hands
        its units' results to the instance closing the month this way."""
        cents = {k: Decimal(v) for k, v in doc["items"].items()}
        return cls(doc["unit"], month, as_of, ruleset_id, ruleset_version, Decimal(doc["x"]), Decimal(doc["y"]),
                   Decimal(doc["total"]), doc["band"], doc["list"], cents,
                   {k: Decimal(v) for k, v in doc["indicators"].items()},
                   {k: tuple(v) for k, v in doc["causes"].items()}, tuple(doc["absent_indicators"]))

    def canonical_json(self) -> bytes:
        """One unit-month on its own, with the month, as-of instant and ruleset it was scored by."""
        doc = self.canonical() | {
            "month": self.month,
            "as_of": format_instant(self.as_of),
            "ruleset": self.ruleset_id,
            "ruleset_version": self.ruleset_version,
        }
        return _canonical_bytes(doc)

    def sha256(self) -> str:
        return hashlib.sha256(self.canonical_json()).hexdigest()

    def summary(self) -> dict[str, Any]:
        """The replay CLI's per-unit shape."""
        return {
            "unit": self.unit,
            "x": two(self.x),
            "y": two(self.y),
            "total": two(self.total),
            "band": self.band,
            "list": self.listing,
            "items": {k: plain(v) for k, v in self.items.items()},
        }


@dataclass(frozen=True, slots=True)
class MonthResult:
    ruleset_id: str
    ruleset_version: int
    month: str
    as_of: Instant
    units: tuple[UnitResult, ...]  # sorted by unit code

    def canonical_json(self) -> bytes:
        doc = {
            "ruleset": self.ruleset_id,
            "ruleset_version": self.ruleset_version,
            "month": self.month,
            "as_of": format_instant(self.as_of),
            "units": [u.canonical() for u in self.units],
        }
        return _canonical_bytes(doc)

    def sha256(self) -> str:
        return hashlib.sha256(self.canonical_json()).hexdigest()

    def replay_json(self) -> str:
        doc = {"ruleset": self.ruleset_id, "month": self.month, "units": [u.summary() for u in self.units]}
        return json.dumps(doc, ensure_ascii=False)
