"""All units' facts plus the registry, folded from envelopes.

Folding is a union of time-stamped facts keyed by event id (or by a natural key keeping the
earliest/latest (time, id)), so applying any permutation of the same events, with any
duplicates, yields the same state: the live service may see events out of event-time order.
Nothing here decides points; the engine reads these facts at an instant T. Reading never writes:
what a scorer derives from facts (sorted indexes, staleness) it keeps itself (scoring.domain.memo).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from scoring.domain.clock import EPOCHS as _EPOCHS
from scoring.domain.clock import ONE_US, Instant, epoch_in
from scoring.domain.facts import catalog, elicense, exchange, findings
from scoring.domain.facts.registry import Directory, Registration
from scoring.domain.facts.stamps import EnvelopeLike, EventId, Stamp


@dataclass(slots=True)
class UnitFacts:
    """One unit's facts, one part per context."""

    catalog: catalog.CatalogFacts = field(default_factory=catalog.CatalogFacts)
    exchange: exchange.ExchangeFacts = field(default_factory=exchange.ExchangeFacts)
    elicense: elicense.ElicenseFacts = field(default_factory=elicense.ElicenseFacts)
    findings: findings.FindingFacts = field(default_factory=findings.FindingFacts)


# Events of these types only ever count in their own month (occurrences): a replay of one month
# can drop them outside it. Everything is judged at or before T, so later events never count.
_OCCURRENCE_ONLY = frozenset({"exchange.call-failed", "exchange.dispute-upheld"})
# Kept whatever their time: the registry is not time-bound, and a decision after T still tells
# when its request was forwarded (when the forwarding event itself is missing).
# A retraction voids its finding in every month, so it is kept whenever it was made.
# Public: an auditor's extract of the archive for a month must carry these too (scoring.audit).
KEPT_WHENEVER_MADE = frozenset({"registry.unit-registered", "exchange.request-approved",
                                "exchange.request-rejected", "scoring.finding-retracted"})

# A fold: (payload, stamp, unit) -> the units it touched, when not only `unit` (None: only it).
Fold = Callable[[Any, Stamp, str], set[str] | None]


class FactStore:
    """`apply` is idempotent and order-independent.

    `relevant=(start, last)` makes a store for evaluating only instants in [start, last] (a replay
    of one month): events that cannot matter there are dropped as they arrive, which keeps bulk
    replay fast and small. The live service keeps everything (relevant=None).
    """

    def __init__(self, relevant: tuple[Instant, Instant] | None = None) -> None:
        self.directory = Directory()
        self.units: dict[str, UnitFacts] = {}
        # Every event id applied, as an int: the live projector skips what is in it (one set of ids per process;
        # a second one in the projector took 32 MiB per million events and a walk of it at each full collection).
        self.seen: set[EventId] = set()
        self._relevant = relevant
        self._folds: dict[str, Fold] = {
            "registry.unit-registered": self._registered,
            "catalog.requirement-assigned": self._part(catalog.assign, "catalog"),
            "catalog.resource-published": self._part(catalog.publish, "catalog"),
            "catalog.resource-mounted": self._part(catalog.mount, "catalog"),
            "catalog.resource-updated": self._part(catalog.update, "catalog"),
            "exchange.request-submitted": self._part(exchange.submit, "exchange"),
            "exchange.request-forwarded": self._part(exchange.forward, "exchange"),
            "exchange.request-approved": self._part(exchange.approve, "exchange"),
            "exchange.request-rejected": self._part(exchange.reject, "exchange"),
            "exchange.call-failed": self._part(exchange.call_failed, "exchange"),
            "exchange.dispute-upheld": self._part(exchange.dispute_upheld, "exchange"),
            "exchange.data-used": self._part(exchange.data_used, "exchange"),
            "elicense.types-claimed": self._part(elicense.claim, "elicense"),
            "elicense.license-pushed": self._part(elicense.push, "elicense"),
            "elicense.license-used": self._license_used,
            "scoring.finding-recorded": self._finding,
            "scoring.finding-retracted": self._retraction,
        }

    @property
    def folded_types(self) -> frozenset[str]:
        """The event types this store folds (everything else changes nothing)."""
        return frozenset(self._folds)

    def facts(self, unit: str) -> UnitFacts:
        """Read access; an unknown unit has no facts (a fresh empty part, never stored)."""
        found = self.units.get(unit)
        return found if found is not None else UnitFacts()

    def _unit(self, unit: str) -> UnitFacts:
        try:
            return self.units[unit]
        except KeyError:
            uf = self.units[unit] = UnitFacts()
            return uf

    def _part(self, fold: Callable[[Any, Any, Stamp], None], context: str) -> Fold:
        """A fold that writes one context's part of the event's own unit."""
        units, unit_facts = self.units, self._unit
        get = getattr

        def folded(d: Any, s: Stamp, unit: str) -> None:
            uf = units.get(unit)
            fold(get(uf if uf is not None else unit_facts(unit), context), d, s)

        return folded

    def apply(self, env: EnvelopeLike, t: Instant | None = None) -> set[str]:
        """Fold one envelope (`t`: its instant, when the caller has it already); returns the
        units whose score may have changed: empty for a duplicate or a type scoring does not use.
        Counties touch their parent city."""
        eid = env.id.int
        seen = self.seen
        if eid in seen:
            return set()
        seen.add(eid)  # whatever its type: the projector archives an event once, folded or not
        if env.type not in self._folds:
            return set()
        folded = self.fold(env, t)
        if not folded:
            return set()  # outside the store's relevant window
        touched = {env.unit} if folded is True else folded
        for unit in list(touched):
            parent = self.directory.parent_of(unit)
            if parent:
                touched.add(parent)
        return touched

    def fold(self, env: EnvelopeLike, t: Instant | None = None) -> bool | set[str]:
        """Fold one envelope: False when ignored (unknown type, or outside `relevant`), True when
        folded into its own unit, or the set of units it touched when it is about several.

        Every fold is idempotent by construction (facts keyed by event id, or the earliest /
        latest (time, id) kept), so bulk replay needs no seen-set; `apply` keeps one only to
        report duplicates as changing nothing.
        """
        type_ = env.type
        fold = self._folds.get(type_)
        if fold is None:
            return False
        if t is None:
            at = env.occurred_at  # to_instant, inlined: this is the replay's hot path
            t = (at - (_EPOCHS.get(at.tzinfo) or epoch_in(at.tzinfo))) // ONE_US
        relevant = self._relevant
        if relevant is not None and type_ not in KEPT_WHENEVER_MADE:
            if t > relevant[1] or (t < relevant[0] and type_ in _OCCURRENCE_ONLY):
                return False
        return fold(env.data, (t, env.id.int), env.unit) or True

    def apply_all(self, envs: Iterable[EnvelopeLike]) -> set[str]:
        touched: set[str] = set()
        for env in envs:
            touched |= self.apply(env)
        return touched

    # folds about more than the event's own unit ---------------------------------------------
    def _registered(self, d: Any, s: Stamp, unit: str) -> set[str]:
        return self.directory.register(unit, Registration.of(d, s)) or {unit}

    def _license_used(self, d: Any, s: Stamp, unit: str) -> set[str] | None:
        elicense.waive(self._unit(unit).elicense, d, s)
        if d.sealed:
            return None
        elicense.unsealed_use(self._unit(d.issuer_unit).elicense, s)
        return {unit, d.issuer_unit}

    def _finding(self, d: Any, s: Stamp, unit: str) -> set[str]:
        attributed = findings.record(self._unit(unit).findings, d, s, unit)
        if attributed is None or attributed.attributed_unit is None:
            return {unit}
        findings.attribute(self._unit(attributed.attributed_unit).findings, d.item, attributed)
        return {unit, attributed.attributed_unit}

    def _retraction(self, d: Any, s: Stamp, unit: str) -> set[str]:
        findings.retract(self._unit(unit).findings, d)
        if d.attributed_unit and d.attributed_unit != unit:
            self._unit(d.attributed_unit).findings.items.add(d.item)
            return {unit, d.attributed_unit}
        return {unit}
