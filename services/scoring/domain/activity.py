"""The province's data work right now, as the projection's facts show it: the catalog (required,
published, mounted, stale), the exchange (requests waiting for a decision and overdue, failed calls,
upheld disputes) and the e-license library (claimed types pushed, licenses with files, uses without
the seal). Pure: the fact store and an instant in, figures and the units behind them out.

A successful gateway call is no event: the exchange counts its calls per window of its clock
(exchange.traffic-counted), and `traffic_now` reads the latest window of those counts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from scoring.domain.alert_text import undecided_requests
from scoring.domain.clock import Instant, local_day, month_of
from scoring.domain.facts import CatalogFacts, FactStore
from scoring.domain.facts.catalog import batches_at
from scoring.domain.facts.elicense import FILE, PUSH, SEALED
from scoring.domain.metrics.catalog import mount_at, stale_at

# (unit, how many): the list behind a figure, the most first
PerUnit = tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class CatalogNow:
    required: int  # resource codes named by a requirement batch assigned by now
    required_published: int
    required_mounted: int
    published: int
    mounted: int
    stale: int
    stale_by_unit: PerUnit


@dataclass(frozen=True, slots=True)
class ExchangeNow:
    waiting: int  # forwarded requests not decided yet
    overdue: int  # ... whose decision deadline has passed
    overdue_by_unit: PerUnit
    failed_today: int  # failed calls counted today (one per data kind, resource and day)
    failed_month: int
    disputes_month: int  # upheld quality disputes this month
    failed_by_unit: PerUnit  # this month


@dataclass(frozen=True, slots=True)
class LicensesNow:
    claimed_types: int
    pushed_types: int  # claimed types with at least one license pushed
    licenses: int
    with_file: int
    sealed: int  # licenses pushed with the unified e-seal at least once
    uses_today: int  # uses in service handling on the instant's local day
    unsealed_uses_month: int
    unpushed_by_unit: PerUnit  # claimed types not pushed yet


@dataclass(frozen=True, slots=True)
class Activity:
    catalog: CatalogNow
    exchange: ExchangeNow
    licenses: LicensesNow


def _ranked(counts: dict[str, int]) -> PerUnit:
    return tuple(sorted(((u, n) for u, n in counts.items() if n), key=lambda p: (-p[1], p[0])))


def activity(store: FactStore, t: Instant, include: Callable[[str], bool] | None = None) -> Activity:
    """Every unit's facts (counties included: their catalog and licenses are the province's too) at t; only
    the units `include`d (one shard's), whose figures `merge` adds to the other shards'."""
    month, today = month_of(t), local_day(t)
    required: set[str] = set()
    published: set[str] = set()
    mounted: set[str] = set()
    stale: dict[str, int] = {}
    waiting = overdue_n = failed_today = failed_month = disputes = 0
    overdue: dict[str, int] = {}
    failed: dict[str, int] = {}
    claimed_n = pushed_types = licenses = with_file = sealed = uses_today = unsealed = 0
    unpushed: dict[str, int] = {}
    for unit, facts in store.units.items():
        if include is not None and not include(unit):
            continue
        cat = facts.catalog
        for batch in batches_at(cat, t):
            required |= batch.codes
        published.update(c for c, first in cat.first_published.items() if first <= t)
        mounted.update(c for c, m in cat.mounted.items() if m[0] <= t)
        stale[unit] = sum(1 for code in cat.published if stale_at(cat, code, t))

        for _, due in undecided_requests(facts.exchange, t):
            waiting += 1
            if due < t:
                overdue_n += 1
                overdue[unit] = overdue.get(unit, 0) + 1
        calls = facts.exchange.failed_calls.get(month, {})
        failed_today += sum(1 for (_, _, day), s in calls.items() if day == today and s[0] <= t)
        failed[unit] = sum(1 for s in calls.values() if s[0] <= t)
        failed_month += failed[unit]
        disputes += sum(1 for s in facts.exchange.disputes.get(month, {}).values() if s[0] <= t)

        lic = facts.elicense
        claim = lic.claim_at(t)
        if claim is not None:
            done = sum(1 for ty in claim.types if (first := lic.type_first_push.get(ty)) and first[0] <= t)
            claimed_n += len(claim.types)
            pushed_types += done
            unpushed[unit] = len(claim.types) - done
        for firsts in lic.licenses.values():
            push, file, seal = firsts[PUSH], firsts[FILE], firsts[SEALED]
            if push is not None and push[0] <= t:
                licenses += 1
                with_file += file is not None and file[0] <= t
                sealed += seal is not None and seal[0] <= t
        uses_today += sum(1 for at in lic.uses.get(today, {}).values() if at <= t)
        unsealed += sum(1 for at in lic.unsealed_uses.get(month, {}).values() if at <= t)
    return Activity(
        CatalogNow(required=len(required), required_published=len(required & published),
                   required_mounted=len(required & mounted), published=len(published), mounted=len(mounted),
                   stale=sum(stale.values()), stale_by_unit=_ranked(stale)),
        ExchangeNow(waiting=waiting, overdue=overdue_n, overdue_by_unit=_ranked(overdue), failed_today=failed_today,
                    failed_month=failed_month, disputes_month=disputes, failed_by_unit=_ranked(failed)),
        LicensesNow(claimed_types=claimed_n, pushed_types=pushed_types, licenses=licenses, with_file=with_file,
                    sealed=sealed, uses_today=uses_today, unsealed_uses_month=unsealed,
                    unpushed_by_unit=_ranked(unpushed)))


def merge(parts: Sequence[Activity]) -> Activity:
    """The figures of disjoint sets of units (shards) as one: counts add up, per-unit lists join. Every
    resource code belongs to one unit, so what is required and published adds up too."""
    def section(of: Sequence[Any]) -> Any:
        kind = type(of[0])
        values: dict[str, Any] = {}
        for f in fields(kind):
            got = [getattr(x, f.name) for x in of]
            values[f.name] = _ranked(dict(p for per_unit in got for p in per_unit)) \
                if isinstance(got[0], tuple) else sum(got)
        return kind(**values)

    return Activity(section([a.catalog for a in parts]), section([a.exchange for a in parts]),
                    section([a.licenses for a in parts]))


@dataclass(frozen=True, slots=True)
class CatalogTask:
    """Something a unit's catalog still needs: a required resource to publish or mount (by its batch's
    deadline), or a resource whose update period ran out."""

    code: str
    what: str  # publish | mount | update
    deadline: date | None  # the earliest deadline of a batch asking for it (update: None)


def catalog_tasks(facts: CatalogFacts, t: Instant) -> list[CatalogTask]:
    """The unit's catalog work at t: required resources first (earliest deadline first), then stale ones."""
    due: dict[str, date] = {}
    for batch in batches_at(facts, t):
        for code in batch.codes:
            due[code] = min(due.get(code, batch.deadline), batch.deadline)
    tasks = []
    for code in sorted(due, key=lambda c: (due[c], c)):
        first = facts.first_published.get(code)
        if first is None or first > t:
            tasks.append(CatalogTask(code, "publish", due[code]))
        elif mount_at(facts, code, t) is None:
            tasks.append(CatalogTask(code, "mount", due[code]))
    tasks += [CatalogTask(code, "update", None) for code in sorted(facts.published) if stale_at(facts, code, t)]
    return tasks


@dataclass(frozen=True, slots=True)
class TrafficNow:
    """The exchange at work in its latest counted window (exchange.traffic-counted), and its day so far."""

    window_start: datetime
    window_seconds: int
    calls: int
    failed: int
    p95_ms: float  # the slowest provider's 95th percentile
    providers: tuple[tuple[str, int, int, float], ...]  # (unit, calls, failed, p95 ms), most failures first
    calls_today: int
    failed_today: int

    @property
    def per_minute(self) -> Decimal:
        return (Decimal(self.calls) * 60 / self.window_seconds).quantize(Decimal("0.1"))

    @property
    def failure_rate(self) -> Decimal:
        """Percent of the window's calls that failed."""
        return (Decimal(self.failed) * 100 / self.calls).quantize(Decimal("0.1")) if self.calls else Decimal(0)


def traffic_now(rows: Sequence[Mapping[str, Any]], day: Mapping[str, Any] | None) -> TrafficNow | None:
    """From the providers' counts of one window (None: no window counted yet)."""
    if not rows:
        return None
    first = rows[0]
    return TrafficNow(window_start=first["window_start"], window_seconds=first["window_seconds"],
                      calls=sum(r["calls"] for r in rows), failed=sum(r["failed"] for r in rows),
                      p95_ms=max(r["p95_ms"] for r in rows),
                      providers=tuple((r["provider"], r["calls"], r["failed"], r["p95_ms"]) for r in rows),
                      calls_today=int(day["calls"]) if day else 0, failed_today=int(day["failed"]) if day else 0)
