"""What a scorer derives from facts and keeps between evaluations: sorted indexes and per-resource
staleness. Facts never hold it (reading them writes nothing); each entry remembers the version of
the facts it was derived from (CatalogFacts.versions, ElicenseFacts.pushes), so a fold that changes
them makes the entry stale without anyone having to invalidate it.

The live scorer keeps one Memo for its lifetime; a replay makes one per evaluation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar, cast

from scoring.domain.clock import Instant
from scoring.domain.facts import CatalogFacts, ElicenseFacts, EventId
from scoring.domain.facts.elicense import FILE, PUSH, STOCK, LicenseFirsts

T = TypeVar("T")

LicenseTimes = tuple[list[Instant], list[Instant], list[Instant]]  # first push, first file, first stock push


class _Versioned(Generic[T]):
    __slots__ = ("value", "version")

    def __init__(self, version: int, value: T) -> None:
        self.version, self.value = version, value


class Memo:
    def __init__(self) -> None:
        self._updates: dict[tuple[str, str], _Versioned[tuple[list[Instant], list[EventId]]]] = {}
        self._licenses: dict[str, _Versioned[LicenseTimes]] = {}
        self._per_code: dict[tuple[str, str, str], _Versioned[tuple[Instant, Any]]] = {}

    def update_times(self, unit: str, facts: CatalogFacts, code: str) -> tuple[list[Instant], list[EventId]]:
        """A resource's updates as (times, ids), in time order (one id per time)."""
        version = facts.versions.get(code, 0)
        known = self._updates.get((unit, code))
        if known is None or known.version != version:
            pairs = sorted(facts.updates.get(code, {}).items())
            known = self._updates[(unit, code)] = _Versioned(version, ([t for t, _ in pairs], [e for _, e in pairs]))
        return known.value

    def license_times(self, unit: str, facts: ElicenseFacts) -> LicenseTimes:
        """Each license's first push, first push with a file and first stock-mode push, each sorted,
        so that counting them at T is a bisect."""
        known = self._licenses.get(unit)
        if known is None or known.version != facts.pushes:
            lics = facts.licenses.values()
            times = (sorted(_times(lics, PUSH)), sorted(_times(lics, FILE)), sorted(_times(lics, STOCK)))
            known = self._licenses[unit] = _Versioned(facts.pushes, times)
        return known.value

    def per_code(
        self, unit: str, facts: CatalogFacts, code: str, month: str, last: Instant, derive: Callable[[], T]
    ) -> T:
        """What `derive` finds for one resource in a month seen up to `last`, kept until the
        resource's facts change or `last` moves."""
        version = facts.versions.get(code, 0)
        key = (unit, code, month)
        known = self._per_code.get(key)
        if known is None or known.version != version or known.value[0] != last:
            known = self._per_code[key] = _Versioned(version, (last, derive()))
        return cast(T, known.value[1])


def _times(lics: Iterable[LicenseFirsts], slot: int) -> Iterable[Instant]:
    for lic in lics:
        stamp = lic[slot]
        if stamp is not None:
            yield stamp[0]
