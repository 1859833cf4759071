"""The unit registry folded from `registry.unit-registered`: kind, division, a county's city."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias

import contracts.fastdecode as fast
from contracts.registry_events import UnitRegistered

from scoring.domain.facts.stamps import Stamp

Registered: TypeAlias = UnitRegistered | fast.UnitRegistered


@dataclass(frozen=True, slots=True)
class Registration:
    stamp: Stamp
    name: str
    kind: str  # department | city | county
    division_code: str
    parent_unit: str | None
    absent_indicators: frozenset[str]

    @classmethod
    def of(cls, d: Registered, s: Stamp) -> Registration:
        return cls(
            stamp=s,
            name=d.name,
            kind=str(d.kind),
            division_code=d.division_code,
            parent_unit=d.parent_unit,
            absent_indicators=frozenset(str(a) for a in d.absent_indicators),
        )


@dataclass
class Directory:
    """The latest registration (by event time, then id) of each unit."""

    units: dict[str, Registration] = field(default_factory=dict)
    _counties: dict[str, set[str]] = field(default_factory=dict)

    def register(self, unit: str, reg: Registration) -> set[str]:
        """Keep `reg` if it is the latest; the units whose scores it may change (the unit, and
        the cities it joins or leaves as a county)."""
        cur = self.units.get(unit)
        if cur is not None and cur.stamp >= reg.stamp:
            return set()
        touched = {unit}
        if cur is not None and cur.parent_unit:
            self._counties.get(cur.parent_unit, set()).discard(unit)
            touched.add(cur.parent_unit)
        self.units[unit] = reg
        if reg.kind == "county" and reg.parent_unit:
            self._counties.setdefault(reg.parent_unit, set()).add(unit)
            touched.add(reg.parent_unit)
        return touched

    def get(self, unit: str) -> Registration | None:
        return self.units.get(unit)

    def scored(self, unit: str) -> Registration | None:
        """The unit's registration if it is scored (a department or a city), else None."""
        reg = self.units.get(unit)
        return reg if reg is not None and reg.kind in SCORED_KINDS else None

    def scored_units(self) -> list[str]:
        """Departments and cities; counties are only attributed to their city."""
        return sorted(u for u, r in self.units.items() if r.kind in SCORED_KINDS)

    def counties_of(self, city: str) -> list[str]:
        return sorted(self._counties.get(city, ()))

    def parent_of(self, unit: str) -> str | None:
        reg = self.units.get(unit)
        return reg.parent_unit if reg is not None and reg.kind == "county" else None


SCORED_KINDS = frozenset({"department", "city"})  # the kinds of unit that get a monthly score
