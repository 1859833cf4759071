"""Observations from inspectors' findings (`scoring.finding-recorded`, items with source insp)."""

from __future__ import annotations

from decimal import Decimal

from scoring.domain.facts import FlagFinding
from scoring.domain.ruleset import Item
from scoring.domain.window import Achievement, Interval, Occurrence, Rate, Seen, UnitView, Window


def flag_intervals(view: UnitView, item: Item, win: Window) -> Seen[list[Interval]]:
    """`holds` opens a flag until a `resolved` for the same unit and item; C2.1 adds counties'."""
    units = [view.unit]
    if item.attribution == "parent_city" and view.kind == "city":
        units += view.directory.counties_of(view.unit)
    out: list[Interval] = []
    for unit in units:
        facts = view.store.facts(unit).findings
        found = facts.flags.get(item.id)
        if found:
            standing = [f for f in found.values() if f.finding_id not in facts.retracted]
            out += _intervals(sorted(standing, key=lambda f: f.stamp))
    return Seen(out)


def _intervals(findings: list[FlagFinding]) -> list[Interval]:
    out: list[Interval] = []
    open_: FlagFinding | None = None
    for f in findings:
        if f.holds:
            if open_ is not None and open_.reduced == f.reduced:
                continue  # a repeated `holds` changes nothing
            if open_ is not None:  # the variant changed (e.g. B3.1 3 -> 2): close and reopen
                out.append(Interval(open_.stamp[0], f.stamp[0], open_.reduced, (open_.stamp[1],)))
            open_ = f
        elif open_ is not None:
            out.append(Interval(open_.stamp[0], f.stamp[0], open_.reduced, (open_.stamp[1],)))
            open_ = None
    if open_ is not None:
        out.append(Interval(open_.stamp[0], None, open_.reduced, (open_.stamp[1],)))
    return out


def occurrences(view: UnitView, item: Item, win: Window) -> Seen[list[Occurrence]]:
    """Own findings of the month, plus findings elsewhere that attribute the cause to this unit."""
    facts = view.findings
    out: list[Occurrence] = []
    for occ in facts.occurrences.get(item.id, {}).get(win.month, {}).values():
        if occ.finding_id in facts.retracted:
            continue
        shifted = item.attribution == "provider" and occ.attributed_unit not in (None, view.unit)
        if shifted:
            continue  # the provider pays, the user nothing
        points = item.reduced_points if occ.reduced and item.reduced_points is not None else None
        out.append(Occurrence(occ.stamp[0], occ.count, points, (occ.stamp[1],)))
    if item.attribution in ("provider", "both"):
        provider_points: Decimal | None = item.provider_points if item.attribution == "provider" else None
        for occ in facts.attributed_to_me.get(item.id, {}).get(win.month, {}).values():
            if occ.finding_id in view.store.facts(occ.unit).findings.retracted:
                continue  # withdrawn at the unit it was found at
            out.append(Occurrence(occ.stamp[0], occ.count, provider_points, (occ.stamp[1],)))
    return Seen(out)


def latest_rate(view: UnitView, item: Item, win: Window) -> Seen[Rate | None]:
    """The latest rate finding at or before T."""
    best = None
    retracted = view.findings.retracted
    for f in view.findings.rates.get(item.id, {}).values():
        if f.finding_id not in retracted and f.stamp[0] <= win.last and (best is None or f.stamp > best.stamp):
            best = f
    if best is None:
        return Seen(None)
    return Seen(Rate(best.numerator, best.denominator, (best.stamp[1],)))


def achievements(view: UnitView, item: Item, win: Window) -> Seen[list[Achievement]]:
    """Achievements recorded at or before T, earliest first."""
    retracted = view.findings.retracted
    found = [f for f in view.findings.achievements.get(item.id, {}).values()
             if f.stamp[0] <= win.last and f.finding_id not in retracted]
    found.sort(key=lambda f: f.stamp)
    return Seen([Achievement(f.stamp[0], f.size, f.count, (f.stamp[1],)) for f in found])
