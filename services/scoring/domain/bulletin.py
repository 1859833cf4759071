"""The monthly bulletin (考核结果予以公开通报, seed 000): a closed month's sealed results as the province reads
them: the ranking, the red and black lists, the province's figures, the deductions that cost the most, and
the change from the month before. Pure: the sealed results, the units' names and the ruleset in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from statistics import median
from typing import Any

from scoring.domain.ruleset import Ruleset

BANDS = ("very-high", "high", "medium", "low")
BANDS_ZH = {"very-high": "非常高", "high": "高", "medium": "中", "low": "低"}
LISTS_ZH = {"red": "红榜", "black": "黑榜", "none": "—"}
KINDS_ZH = {"department": "区直部门", "city": "设区市"}
_TWO = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Row:
    rank: int
    unit: str
    name: str
    kind: str
    total: Decimal
    band: str
    listing: str
    change: Decimal | None  # from the month before (None: not scored then)


@dataclass(frozen=True, slots=True)
class Deduction:
    item: str
    label: str
    units: int  # units it cost points
    points: Decimal  # points it cost them together


@dataclass(frozen=True, slots=True)
class Bulletin:
    month: str
    previous: str | None
    ruleset: str
    seal: str
    closed_at: str
    rows: tuple[Row, ...]  # ranked, best first
    mean: Decimal
    median: Decimal
    by_band: dict[str, int]
    by_list: dict[str, int]
    by_kind: dict[str, tuple[int, Decimal]]  # kind -> (units, mean total)
    deductions: tuple[Deduction, ...]  # the costliest first
    histogram: tuple[tuple[str, int], ...]  # (range of totals, units)
    improved: int
    slipped: int

    @property
    def red(self) -> list[Row]:
        return [r for r in self.rows if r.listing == "red"]

    @property
    def black(self) -> list[Row]:
        return [r for r in self.rows if r.listing == "black"]


def mean_of(values: Sequence[Decimal]) -> Decimal:
    return (sum(values, Decimal(0)) / len(values)).quantize(_TWO) if values else Decimal("0.00")


def _ranked(results: Sequence[Mapping[str, Any]], names: Mapping[str, tuple[str, str]],
            previous: Mapping[str, Decimal]) -> tuple[Row, ...]:
    """Best first; equal totals share a rank (1, 2, 2, 4), ties in code order."""
    ordered = sorted(results, key=lambda r: (-Decimal(r["total"]), r["unit"]))
    rows: list[Row] = []
    for i, r in enumerate(ordered):
        total = Decimal(r["total"])
        rank = rows[-1].rank if rows and rows[-1].total == total else i + 1
        name, kind = names.get(r["unit"], (r["unit"], "unknown"))
        before = previous.get(r["unit"])
        rows.append(Row(rank, r["unit"], name, kind, total, r["band"], r["list"],
                        (total - before).quantize(_TWO) if before is not None else None))
    return tuple(rows)


def costliest(results: Sequence[Mapping[str, Any]], ruleset: Ruleset, top: int) -> tuple[Deduction, ...]:
    deduction_items = {item.id for indicator in ruleset.deductions for item in indicator.items}
    units: dict[str, int] = {}
    points: dict[str, Decimal] = {}
    for r in results:
        for item, value in r["items"].items():
            if item in deduction_items and Decimal(value):
                units[item] = units.get(item, 0) + 1
                points[item] = points.get(item, Decimal(0)) + abs(Decimal(value))
    ordered = sorted(points, key=lambda i: (-points[i], -units[i], i))[:top]
    return tuple(Deduction(i, ruleset.items[i].label_zh, units[i], points[i].quantize(_TWO)) for i in ordered)


def histogram(totals: Sequence[Decimal], width: int = 5) -> tuple[tuple[str, int], ...]:
    """Units per range of totals, from the lowest range that holds one to 100 (the top range holds 100)."""
    if not totals:
        return ()
    low = min(int(min(totals)) // width * width, 100 - width)
    bins = []
    for start in range(low, 100, width):
        end = start + width
        n = sum(1 for t in totals if start <= t < end or (end == 100 and t >= 100))
        bins.append((f"{start}–{end}", n))
    return tuple(bins)


def compile_bulletin(month: str, *, seal: str, closed_at: str, results: Sequence[Mapping[str, Any]],
                     names: Mapping[str, tuple[str, str]], ruleset: Ruleset, previous_month: str | None = None,
                     previous: Mapping[str, Decimal] | None = None, top: int = 10) -> Bulletin:
    """`results`: each unit's sealed result (its canonical document: unit, total, band, list, items);
    `names`: unit -> (name, kind); `previous`: the totals sealed for the month before, if it was closed."""
    before = previous or {}
    rows = _ranked(results, names, before)
    totals = [r.total for r in rows]
    kinds: dict[str, list[Decimal]] = {}
    for r in rows:
        kinds.setdefault(r.kind, []).append(r.total)
    changes = [r.change for r in rows if r.change is not None]
    return Bulletin(
        month=month, previous=previous_month if before else None, ruleset=ruleset.id, seal=seal, closed_at=closed_at,
        rows=rows, mean=mean_of(totals), median=Decimal(median(totals)).quantize(_TWO) if totals else Decimal("0.00"),
        by_band={b: sum(1 for r in rows if r.band == b) for b in BANDS},
        by_list={k: sum(1 for r in rows if r.listing == k) for k in ("red", "black", "none")},
        by_kind={k: (len(v), mean_of(v)) for k, v in sorted(kinds.items())},
        deductions=costliest(results, ruleset, top), histogram=histogram(totals),
        improved=sum(1 for c in changes if c > 0), slipped=sum(1 for c in changes if c < 0))
