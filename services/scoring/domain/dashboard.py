"""The operators' picture of the province in a month (the console's home page): units per band and list
against the month before, the distribution of totals, the deductions that cost the most, each unit's
points lost per indicator (a heat map), the cities beside their counties, and the months so far.
Pure: the month's live results, the month before's, the units and the ruleset in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from statistics import median
from typing import Any

from scoring.domain.bulletin import BANDS, Deduction, costliest, histogram, mean_of
from scoring.domain.ruleset import Ruleset

LISTS = ("red", "black")
_TWO = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Unit:
    name: str
    kind: str  # department | city | county
    parent: str | None  # a county's city


@dataclass(frozen=True, slots=True)
class Count:
    key: str  # a band or a list
    now: int
    before: int | None  # in the month before (None: it has no scores)

    @property
    def change(self) -> int | None:
        return None if self.before is None else self.now - self.before


@dataclass(frozen=True, slots=True)
class HeatRow:
    unit: str
    name: str
    total: Decimal
    lost: tuple[Decimal, ...]  # points lost per deduction indicator (ruleset order), after its cap


@dataclass(frozen=True, slots=True)
class City:
    unit: str
    name: str
    total: Decimal
    band: str
    listing: str
    change: Decimal | None
    counties: tuple[str, ...]  # names


@dataclass(frozen=True, slots=True)
class MonthFigure:
    month: str
    units: int
    mean: Decimal
    red: int
    black: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    month: str
    units: int
    mean: Decimal
    median: Decimal
    bands: tuple[Count, ...]
    lists: tuple[Count, ...]
    improved: int  # units whose total is above the month before's final one
    slipped: int
    histogram: tuple[tuple[str, int], ...]
    costliest: tuple[Deduction, ...]
    indicators: tuple[tuple[str, str, Decimal], ...]  # deduction indicators: id, label, cap
    heat: tuple[HeatRow, ...]  # the lowest totals first
    cities: tuple[City, ...]  # the best first
    months: tuple[MonthFigure, ...]  # oldest first, this month included


def _counts(keys: Sequence[str], now: Sequence[str], before: Sequence[str] | None) -> tuple[Count, ...]:
    return tuple(Count(k, sum(1 for v in now if v == k), None if before is None else sum(1 for v in before if v == k))
                 for k in keys)


def compile_dashboard(month: str, *, results: Sequence[Mapping[str, Any]],
                      previous: Sequence[Mapping[str, Any]], units: Mapping[str, Unit], ruleset: Ruleset,
                      months: Sequence[MonthFigure] = (), top: int = 8) -> Dashboard:
    """`results`: each scored unit's result of the month (canonical document: unit, total, band, list,
    items, indicators); `previous`: the month before's (live or sealed, the same shape)."""
    totals = [Decimal(r["total"]) for r in results]
    before = {r["unit"]: Decimal(r["total"]) for r in previous}
    had = bool(previous)
    changes = [Decimal(r["total"]) - before[r["unit"]] for r in results if r["unit"] in before]
    xs = ruleset.deductions
    heat = [HeatRow(r["unit"], units[r["unit"]].name if r["unit"] in units else r["unit"], Decimal(r["total"]),
                    tuple(abs(Decimal(r["indicators"].get(i.id, "0"))) for i in xs)) for r in results]
    heat.sort(key=lambda h: (h.total, h.unit))
    counties: dict[str, list[str]] = {}
    for _, u in sorted(units.items()):
        if u.kind == "county" and u.parent:
            counties.setdefault(u.parent, []).append(u.name)
    cities = [City(r["unit"], units[r["unit"]].name, Decimal(r["total"]), r["band"], r["list"],
                   (Decimal(r["total"]) - before[r["unit"]]).quantize(_TWO) if r["unit"] in before else None,
                   tuple(counties.get(r["unit"], ()))) for r in results
              if r["unit"] in units and units[r["unit"]].kind == "city"]
    cities.sort(key=lambda c: (-c.total, c.unit))
    return Dashboard(
        month=month, units=len(results), mean=mean_of(totals),
        median=Decimal(median(totals)).quantize(_TWO) if totals else Decimal("0.00"),
        bands=_counts(BANDS, [r["band"] for r in results], [r["band"] for r in previous] if had else None),
        lists=_counts(LISTS, [r["list"] for r in results], [r["list"] for r in previous] if had else None),
        improved=sum(1 for c in changes if c > 0), slipped=sum(1 for c in changes if c < 0),
        histogram=histogram(totals), costliest=costliest(results, ruleset, top),
        indicators=tuple((i.id, i.label_zh, i.points) for i in xs), heat=tuple(heat), cities=tuple(cities),
        months=tuple(months))
