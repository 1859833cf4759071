"""Inspectors' findings about a unit (`scoring.finding-recorded`), by item."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias

import contracts.fastdecode as fast
from contracts import scoring as sc

from scoring.domain.clock import month_of
from scoring.domain.facts.stamps import EventId, Stamp

Recorded: TypeAlias = sc.FindingRecorded | fast.FindingRecorded
Retracted: TypeAlias = sc.FindingRetracted | fast.FindingRetracted


@dataclass(frozen=True, slots=True)
class FlagFinding:
    stamp: Stamp
    holds: bool
    reduced: bool
    finding_id: str = ""


@dataclass(frozen=True, slots=True)
class OccurrenceFinding:
    stamp: Stamp
    count: int
    unit: str  # the unit the finding is about (the user, for attributed findings)
    attributed_unit: str | None
    reduced: bool
    finding_id: str = ""


@dataclass(frozen=True, slots=True)
class RateFinding:
    stamp: Stamp
    numerator: int
    denominator: int
    finding_id: str = ""


@dataclass(frozen=True, slots=True)
class AchievedFinding:
    stamp: Stamp
    size: int | None
    count: int
    finding_id: str = ""


@dataclass(slots=True)
class FindingFacts:
    items: set[str] = field(default_factory=set)  # every item with a finding here (own or attributed)
    flags: dict[str, dict[EventId, FlagFinding]] = field(default_factory=dict)
    occurrences: dict[str, dict[str, dict[EventId, OccurrenceFinding]]] = field(default_factory=dict)  # item, month
    attributed_to_me: dict[str, dict[str, dict[EventId, OccurrenceFinding]]] = field(default_factory=dict)
    rates: dict[str, dict[EventId, RateFinding]] = field(default_factory=dict)
    achievements: dict[str, dict[EventId, AchievedFinding]] = field(default_factory=dict)
    # ids of this unit's findings withdrawn: they never count, whenever the withdrawal was folded
    retracted: set[str] = field(default_factory=set)


def record(facts: FindingFacts, d: Recorded, s: Stamp, unit: str) -> OccurrenceFinding | None:
    """Fold a finding about `unit`; an occurrence attributed to another unit is returned, for
    `attribute` to file with that unit."""
    item, effect = d.item, str(d.effect)
    reduced = bool(getattr(d, "reduced", False))
    facts.items.add(item)
    fid = d.finding_id
    if effect in ("holds", "resolved"):
        facts.flags.setdefault(item, {})[s[1]] = FlagFinding(s, effect == "holds", reduced, fid)
    elif effect == "occurrence":
        occ = OccurrenceFinding(s, d.count if d.count is not None else 1, unit, d.attributed_unit, reduced, fid)
        facts.occurrences.setdefault(item, {}).setdefault(month_of(s[0]), {})[s[1]] = occ
        if d.attributed_unit and d.attributed_unit != unit:
            return occ
    elif effect == "rate":
        facts.rates.setdefault(item, {})[s[1]] = RateFinding(s, d.numerator or 0, d.denominator or 0, fid)
    elif effect == "achieved":
        count = d.count if d.count is not None else 1
        facts.achievements.setdefault(item, {})[s[1]] = AchievedFinding(s, d.size, count, fid)
    return None


def attribute(provider: FindingFacts, item: str, occ: OccurrenceFinding) -> None:
    """File an occurrence found at another unit with the unit it is attributed to."""
    provider.items.add(item)
    provider.attributed_to_me.setdefault(item, {}).setdefault(month_of(occ.stamp[0]), {})[occ.stamp[1]] = occ


def retract(facts: FindingFacts, d: Retracted) -> None:
    """Withdraw one of the unit's findings: it stops counting in every month, as if never recorded."""
    facts.items.add(d.item)
    facts.retracted.add(d.finding_id)
