"""Per-unit fact state folded from envelopes.

Folding is a union of time-stamped facts keyed by event id (or by a natural key keeping the
earliest/latest (time, id)), so applying any permutation of the same events, with any
duplicates, yields the same state: the live service may see events out of event-time order.
Nothing here decides points; the engine reads these facts at an instant T.

An envelope is anything with `id`, `type`, `unit`, `occurred_at` (aware datetime) and a typed
`data` object (contracts.Envelope and the replay's fast decoder both qualify).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from scoring.domain.clock import EPOCH as _EPOCH
from scoring.domain.clock import Instant, local_day, month_of, month_of_day, to_instant

EventId = int  # the envelope id as a 128-bit int (uuid.UUID.int): cheap to hash and order
Stamp = tuple[Instant, EventId]  # (event time, event id): a total order that ignores arrival


class EnvelopeLike(Protocol):
    @property
    def id(self) -> Any: ...
    @property
    def type(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def data(self) -> Any: ...


def _earlier(cur: Stamp | None, new: Stamp) -> bool:
    return cur is None or new < cur


@dataclass(frozen=True, slots=True)
class Registration:
    stamp: Stamp
    name: str
    kind: str  # department | city | county
    division_code: str
    parent_unit: str | None
    absent_indicators: frozenset[str]


@dataclass
class Directory:
    """The unit registry: the latest registration (by event time, then id) of each unit."""

    units: dict[str, Registration] = field(default_factory=dict)
    _counties: dict[str, set[str]] = field(default_factory=dict)

    def register(self, unit: str, reg: Registration) -> set[str]:
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

    def scored_units(self) -> list[str]:
        """Departments and cities; counties are only attributed to their city."""
        return sorted(u for u, r in self.units.items() if r.kind in ("department", "city"))

    def counties_of(self, city: str) -> list[str]:
        return sorted(self._counties.get(city, ()))

    def parent_of(self, unit: str) -> str | None:
        reg = self.units.get(unit)
        return reg.parent_unit if reg is not None and reg.kind == "county" else None


@dataclass(frozen=True, slots=True)
class Batch:
    stamp: Stamp
    kind: str
    codes: frozenset[str]
    deadline: date


@dataclass(frozen=True, slots=True)
class Claim:
    stamp: Stamp
    types: frozenset[str]
    declared_stock: int | None


@dataclass(frozen=True, slots=True)
class FlagFinding:
    stamp: Stamp
    holds: bool
    reduced: bool


@dataclass(frozen=True, slots=True)
class OccurrenceFinding:
    stamp: Stamp
    count: int
    unit: str  # the unit the finding is about (the user, for attributed findings)
    attributed_unit: str | None
    reduced: bool


@dataclass(frozen=True, slots=True)
class RateFinding:
    stamp: Stamp
    numerator: int
    denominator: int


@dataclass(frozen=True, slots=True)
class AchievedFinding:
    stamp: Stamp
    size: int | None
    count: int


@dataclass
class Request:
    """A data request to this provider; the clock starts at the earliest forwarding."""

    data_kind: str | None = None
    kind_stamp: Stamp | None = None  # data_kind is taken from the earliest event naming it
    forwarded: Stamp | None = None
    forwarded_at_hint: Instant | None = None  # from decisions, when no forwarding event is seen
    decisions: dict[EventId, tuple[Instant, bool]] = field(default_factory=dict)  # id -> (t, empty refusal)

    def name_kind(self, stamp: Stamp, kind: str) -> None:
        if _earlier(self.kind_stamp, stamp):
            self.kind_stamp, self.data_kind = stamp, kind

    def clock_start(self) -> Instant | None:
        if self.forwarded is not None:
            return self.forwarded[0]
        return self.forwarded_at_hint


# Per license: [first push, first push with a file, first stock-mode push] (None: not yet).
# A plain list, not an object: a log holds hundreds of thousands of them.
LicenseFacts = list[Stamp | None]
_PUSH, _FILE, _STOCK = 0, 1, 2


@dataclass
class UnitFacts:
    # catalog
    batches: dict[str, Batch] = field(default_factory=dict)
    published: dict[str, dict[EventId, tuple[Instant, str]]] = field(default_factory=dict)
    first_published: dict[str, Instant] = field(default_factory=dict)  # code -> earliest publication
    mounted: dict[str, Stamp] = field(default_factory=dict)
    updates: dict[str, dict[Instant, EventId]] = field(default_factory=dict)
    # exchange (this unit as provider unless noted)
    failed_calls: dict[str, dict[tuple[str, str, int], Stamp]] = field(default_factory=dict)  # month ->
    disputes: dict[str, dict[tuple[str, str], Stamp]] = field(default_factory=dict)  # month ->
    requests: dict[str, Request] = field(default_factory=dict)
    requests_by_month: dict[str, set[str]] = field(default_factory=dict)  # clock-start month ->
    first_use: dict[str, Stamp] = field(default_factory=dict)  # as consumer; purpose|"any" ->
    # elicense
    claims: dict[EventId, Claim] = field(default_factory=dict)
    type_first_push: dict[str, Stamp] = field(default_factory=dict)
    licenses: dict[str, LicenseFacts] = field(default_factory=dict)
    first_ofd_auto: Stamp | None = None
    unsealed_uses: dict[str, dict[EventId, Instant]] = field(default_factory=dict)  # as issuer; month ->
    first_waiver: Stamp | None = None  # as user
    # per-license first push / first file / first stock-mode push times, sorted lazily so that
    # evaluating at T is a bisect; licenses_sorted is cleared by every push
    licenses_sorted: bool = False
    _sorted: tuple[list[Instant], list[Instant], list[Instant]] = ([], [], [])
    # resource code -> its update (times, ids) in time order, built lazily, dropped by an update
    _update_times: dict[str, tuple[list[Instant], list[EventId]]] = field(default_factory=dict)
    # resource code -> month -> metrics.stale_resources' finding for it at one `last`; dropped
    # by any publication, mount or update of the code
    stale_cache: dict[str, dict[str, tuple[Instant, Any, tuple[Instant, ...]]]] = field(default_factory=dict)
    # inspectors' findings, by item; finding_items: every item with a finding here (own or attributed)
    finding_items: set[str] = field(default_factory=set)
    flag_findings: dict[str, dict[EventId, FlagFinding]] = field(default_factory=dict)
    occurrences: dict[str, dict[str, dict[EventId, OccurrenceFinding]]] = field(default_factory=dict)
    attributed_to_me: dict[str, dict[str, dict[EventId, OccurrenceFinding]]] = field(default_factory=dict)
    rates: dict[str, dict[EventId, RateFinding]] = field(default_factory=dict)
    achievements: dict[str, dict[EventId, AchievedFinding]] = field(default_factory=dict)

    def claim_at(self, t: Instant) -> Claim | None:
        """The claim in force at t: the latest one at or before t."""
        best: Claim | None = None
        for claim in self.claims.values():
            if claim.stamp[0] <= t and (best is None or claim.stamp > best.stamp):
                best = claim
        return best

    def _license_times(self) -> tuple[list[Instant], list[Instant], list[Instant]]:
        if not self.licenses_sorted:
            lics = self.licenses.values()
            self._sorted = (
                sorted(_times(lics, _PUSH)),
                sorted(_times(lics, _FILE)),
                sorted(_times(lics, _STOCK)),
            )
            self.licenses_sorted = True
        return self._sorted

    def update_times(self, code: str) -> tuple[list[Instant], list[EventId]]:
        """The updates of a resource as (times, ids), in time order (one id per time)."""
        cached = self._update_times.get(code)
        if cached is None:
            pairs = sorted(self.updates.get(code, {}).items())
            cached = self._update_times[code] = ([t for t, _ in pairs], [e for _, e in pairs])
        return cached

    def sorted_push_times(self) -> list[Instant]:
        return self._license_times()[0]

    def sorted_file_times(self) -> list[Instant]:
        return self._license_times()[1]

    def sorted_stock_times(self) -> list[Instant]:
        return self._license_times()[2]


def _times(lics: Iterable[LicenseFacts], slot: int) -> Iterator[Instant]:
    for lic in lics:
        stamp = lic[slot]
        if stamp is not None:
            yield stamp[0]


_EMPTY = UnitFacts()


# Events of these types only ever count in their own month (occurrences): a replay of one month
# can drop them outside it. Everything is judged at or before T, so later events never count.
_OCCURRENCE_ONLY = frozenset({"exchange.call-failed", "exchange.dispute-upheld"})
# Kept whatever their time: the registry is not time-bound, and a decision after T still tells
# when its request was forwarded (when the forwarding event itself is missing).
_ALWAYS_KEPT = frozenset({"registry.unit-registered", "exchange.request-approved", "exchange.request-rejected"})


class FactStore:
    """All units' facts plus the registry; `apply` is idempotent and order-independent.

    `relevant=(start, last)` makes a store for evaluating only instants in [start, last] (a replay
    of one month): events that cannot matter there are dropped as they arrive, which keeps bulk
    replay fast and small. The live service keeps everything (relevant=None).
    """

    def __init__(self, relevant: tuple[Instant, Instant] | None = None) -> None:
        self.directory = Directory()
        self.units: dict[str, UnitFacts] = {}
        self._seen: set[EventId] = set()
        self._relevant = relevant
        self._handlers: dict[str, Callable[[Any, Stamp, str], set[str] | None]] = {
            "registry.unit-registered": self._registered,
            "catalog.requirement-assigned": self._requirement,
            "catalog.resource-published": self._published,
            "catalog.resource-mounted": self._mounted,
            "catalog.resource-updated": self._updated,
            "exchange.request-submitted": self._submitted,
            "exchange.request-forwarded": self._forwarded,
            "exchange.request-approved": self._approved,
            "exchange.request-rejected": self._rejected,
            "exchange.call-failed": self._call_failed,
            "exchange.dispute-upheld": self._dispute,
            "exchange.data-used": self._data_used,
            "elicense.types-claimed": self._claimed,
            "elicense.license-pushed": self._pushed,
            "elicense.license-used": self._used,
            "scoring.finding-recorded": self._finding,
        }

    def facts(self, unit: str) -> UnitFacts:
        """Read access; an unknown unit has no facts."""
        return self.units.get(unit, _EMPTY)

    def _unit(self, unit: str) -> UnitFacts:
        try:
            return self.units[unit]
        except KeyError:
            uf = self.units[unit] = UnitFacts()
            return uf

    def apply(self, env: EnvelopeLike, t: Instant | None = None) -> set[str]:
        """Fold one envelope (`t`: its instant, when the caller has it already); returns the
        units whose score may have changed: empty for a duplicate or a type scoring does not use.
        Counties touch their parent city."""
        eid = env.id.int
        if eid in self._seen or env.type not in self._handlers:
            return set()
        self._seen.add(eid)
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

        Every handler is idempotent by construction (facts keyed by event id, or the earliest /
        latest (time, id) kept), so bulk replay needs no seen-set; `apply` keeps one only to
        report duplicates as changing nothing.
        """
        type_ = env.type
        handler = self._handlers.get(type_)
        if handler is None:
            return False
        if t is None:
            td = env.occurred_at - _EPOCH  # to_instant, inlined: this is the replay's hot path
            t = (td.days * 86_400 + td.seconds) * 1_000_000 + td.microseconds
        relevant = self._relevant
        if relevant is not None and type_ not in _ALWAYS_KEPT:
            if t > relevant[1] or (t < relevant[0] and type_ in _OCCURRENCE_ONLY):
                return False
        return handler(env.data, (t, env.id.int), env.unit) or True

    def apply_all(self, envs: Iterable[EnvelopeLike]) -> set[str]:
        touched: set[str] = set()
        for env in envs:
            touched |= self.apply(env)
        return touched

    # registry ---------------------------------------------------------------------------
    def _registered(self, d: Any, s: Stamp, unit: str) -> set[str]:
        reg = Registration(
            stamp=s,
            name=d.name,
            kind=str(d.kind),
            division_code=d.division_code,
            parent_unit=d.parent_unit,
            absent_indicators=frozenset(str(a) for a in d.absent_indicators),
        )
        return self.directory.register(unit, reg) or {unit}

    # catalog ----------------------------------------------------------------------------
    def _requirement(self, d: Any, s: Stamp, unit: str) -> None:
        uf = self._unit(unit)
        cur = uf.batches.get(d.batch_id)
        if cur is None or s > cur.stamp:  # a re-assignment of the same batch replaces it
            uf.batches[d.batch_id] = Batch(s, str(d.batch_kind), frozenset(d.resource_codes), d.deadline)

    def _published(self, d: Any, s: Stamp, unit: str) -> None:
        uf = self._unit(unit)
        code = d.resource_code
        uf.stale_cache.pop(code, None)
        uf.published.setdefault(code, {})[s[1]] = (s[0], str(d.update_cycle))
        first = uf.first_published.get(code)
        if first is None or s[0] < first:
            uf.first_published[code] = s[0]

    def _mounted(self, d: Any, s: Stamp, unit: str) -> None:
        uf = self._unit(unit)
        mounted = uf.mounted
        if _earlier(mounted.get(d.resource_code), s):
            mounted[d.resource_code] = s
            uf.stale_cache.pop(d.resource_code, None)

    def _updated(self, d: Any, s: Stamp, unit: str) -> None:
        uf = self._unit(unit)
        updates = uf.updates
        code = d.resource_code
        uf._update_times.pop(code, None)
        uf.stale_cache.pop(code, None)
        times = updates.get(code)
        if times is None:
            updates[code] = {s[0]: s[1]}
            return
        cur = times.get(s[0])
        if cur is None or s[1] < cur:
            times[s[0]] = s[1]

    # exchange ---------------------------------------------------------------------------
    def _request(self, unit: str, request_id: str) -> Request:
        uf = self._unit(unit)
        req = uf.requests.get(request_id)
        if req is None:
            req = uf.requests[request_id] = Request()
        return req

    def _rebucket(self, unit: str, request_id: str, req: Request, before: Instant | None) -> None:
        after = req.clock_start()
        if after == before:
            return
        by_month = self._unit(unit).requests_by_month
        if before is not None:
            by_month.get(month_of(before), set()).discard(request_id)
        if after is not None:
            by_month.setdefault(month_of(after), set()).add(request_id)

    def _submitted(self, d: Any, s: Stamp, unit: str) -> None:
        req = self._request(unit, d.request_id)
        req.name_kind(s, str(d.data_kind))

    def _forwarded(self, d: Any, s: Stamp, unit: str) -> None:
        req = self._request(unit, d.request_id)
        req.name_kind(s, str(d.data_kind))
        before = req.clock_start()
        if _earlier(req.forwarded, s):
            req.forwarded = s
        self._rebucket(unit, d.request_id, req, before)

    def _decided(self, d: Any, s: Stamp, unit: str, empty_refusal: bool) -> None:
        req = self._request(unit, d.request_id)
        req.name_kind(s, str(d.data_kind))
        req.decisions[s[1]] = (s[0], empty_refusal)
        before = req.clock_start()
        hint = to_instant(d.forwarded_at)
        if req.forwarded_at_hint is None or hint < req.forwarded_at_hint:
            req.forwarded_at_hint = hint
        self._rebucket(unit, d.request_id, req, before)

    def _approved(self, d: Any, s: Stamp, unit: str) -> None:
        self._decided(d, s, unit, empty_refusal=False)

    def _rejected(self, d: Any, s: Stamp, unit: str) -> None:
        self._decided(d, s, unit, empty_refusal=not (d.reason or "").strip())

    def _call_failed(self, d: Any, s: Stamp, unit: str) -> None:
        day = local_day(s[0])
        key = (d.data_kind, d.resource_code, day)
        bucket = self._unit(unit).failed_calls.setdefault(month_of_day(day), {})
        cur = bucket.get(key)
        if cur is None or s < cur:
            bucket[key] = s

    def _dispute(self, d: Any, s: Stamp, unit: str) -> None:
        key = (str(d.data_kind), d.resource_code)
        bucket = self._unit(unit).disputes.setdefault(month_of(s[0]), {})
        if _earlier(bucket.get(key), s):
            bucket[key] = s

    def _data_used(self, d: Any, s: Stamp, unit: str) -> None:
        first = self._unit(unit).first_use
        for key in ("any", str(d.purpose)):
            if _earlier(first.get(key), s):
                first[key] = s

    # elicense ---------------------------------------------------------------------------
    def _claimed(self, d: Any, s: Stamp, unit: str) -> None:
        self._unit(unit).claims[s[1]] = Claim(s, frozenset(d.license_types), d.declared_stock)

    def _pushed(self, d: Any, s: Stamp, unit: str) -> None:
        uf = self._unit(unit)
        first_type = uf.type_first_push
        cur = first_type.get(d.license_type)
        if cur is None or s < cur:
            first_type[d.license_type] = s
        fmt, mode = d.file_format, d.push_mode
        lic = uf.licenses.get(d.license_id)
        if lic is None:
            uf.licenses[d.license_id] = [s, s if fmt is not None else None, s if mode == "stock" else None]
        else:
            for slot, applies in ((_PUSH, True), (_FILE, fmt is not None), (_STOCK, mode == "stock")):
                cur = lic[slot]
                if applies and (cur is None or s < cur):
                    lic[slot] = s
        if fmt == "ofd" and mode == "auto_incremental" and _earlier(uf.first_ofd_auto, s):
            uf.first_ofd_auto = s
        uf.licenses_sorted = False

    def _used(self, d: Any, s: Stamp, unit: str) -> set[str] | None:
        touched = None
        if d.waived_materials > 0:
            uf = self._unit(unit)
            if _earlier(uf.first_waiver, s):
                uf.first_waiver = s
        if not d.sealed:
            issuer = d.issuer_unit
            self._unit(issuer).unsealed_uses.setdefault(month_of(s[0]), {})[s[1]] = s[0]
            touched = {unit, issuer}
        return touched

    # findings ---------------------------------------------------------------------------
    def _finding(self, d: Any, s: Stamp, unit: str) -> set[str]:
        uf = self._unit(unit)
        item, effect = d.item, str(d.effect)
        reduced = bool(getattr(d, "reduced", False))
        touched = {unit}
        uf.finding_items.add(item)
        if effect in ("holds", "resolved"):
            uf.flag_findings.setdefault(item, {})[s[1]] = FlagFinding(s, effect == "holds", reduced)
        elif effect == "occurrence":
            occ = OccurrenceFinding(s, d.count if d.count is not None else 1, unit, d.attributed_unit, reduced)
            month = month_of(s[0])
            uf.occurrences.setdefault(item, {}).setdefault(month, {})[s[1]] = occ
            if d.attributed_unit and d.attributed_unit != unit:
                provider = self._unit(d.attributed_unit)
                provider.finding_items.add(item)
                provider.attributed_to_me.setdefault(item, {}).setdefault(month, {})[s[1]] = occ
                touched.add(d.attributed_unit)
        elif effect == "rate":
            uf.rates.setdefault(item, {})[s[1]] = RateFinding(s, d.numerator or 0, d.denominator or 0)
        elif effect == "achieved":
            count = d.count if d.count is not None else 1
            uf.achievements.setdefault(item, {})[s[1]] = AchievedFinding(s, d.size, count)
        return touched
