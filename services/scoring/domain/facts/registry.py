"""The unit registry folded from `registry.unit-registered`: kind, division, a county's city."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
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
    exempt_from: date | None = None  # not checked from this day: not scored in its month and after
    exempt_basis: str | None = None

    def exempt_in(self, month: str) -> bool:
        return self.exempt_from is not None and month >= f"{self.exempt_from:%Y-%m}"

    @classmethod
    def of(cls, d: Registered, s: Stamp) -> Registration:
        return cls(
            stamp=s,
            name=d.name,
            kind=str(d.kind),
            division_code=d.division_code,
            parent_unit=d.parent_unit,
            absent_indicators=frozenset(str(a) for a in d.absent_indicators),
            exempt_from=d.exempt_from,
            exempt_basis=d.exempt_basis,
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

    def scored(self, unit: str, month: str | None = None) -> Registration | None:
        """The unit's registration if it is scored (a department or a city, and in `month` not exempt
        from the checks), else None."""
        reg = self.units.get(unit)
        if reg is None or reg.kind not in SCORED_KINDS or (month is not None and reg.exempt_in(month)):
            return None
        return reg

    def scored_units(self, month: str | None = None) -> list[str]:
        """Departments and cities (in `month`: those not exempt); counties are only attributed to their city."""
        return sorted(u for u, r in self.units.items()
                      if r.kind in SCORED_KINDS and (month is None or not r.exempt_in(month)))

    def exempt_units(self, month: str) -> list[str]:
        """Departments and cities not checked in `month`."""
        return sorted(u for u, r in self.units.items() if r.kind in SCORED_KINDS and r.exempt_in(month))

    def counties_of(self, city: str) -> list[str]:
        return sorted(self._counties.get(city, ()))

    def parent_of(self, unit: str) -> str | None:
        reg = self.units.get(unit)
        return reg.parent_unit if reg is not None and reg.kind == "county" else None


SCORED_KINDS = frozenset({"department", "city"})  # the kinds of unit that get a monthly score
