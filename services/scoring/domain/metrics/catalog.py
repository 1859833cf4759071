"""Catalog metrics: requirement batches, publication and mount rates, staleness, batch bonuses."""

from __future__ import annotations

from bisect import bisect_right
from functools import lru_cache
from typing import Any

from scoring.domain.clock import DAY_US, Instant, add_months, date_end
from scoring.domain.facts import Batch, CatalogFacts, EventId, Stamp
from scoring.domain.facts.catalog import in_force
from scoring.domain.ruleset import Item
from scoring.domain.window import Achievement, Occurrence, Rate, Seen, UnitView, Window

_CYCLE_DAYS = {"realtime": 1, "daily": 1, "weekly": 7}
_CYCLE_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}


def batches_of(facts: CatalogFacts, kind: str, win: Window) -> list[Batch]:
    """Batches of a kind assigned at or before T, in a stable order."""
    found = [b for b in facts.batches.values() if b.kind == kind and b.stamp[0] <= win.last]
    for batch_id in facts.superseded:  # re-assigned batches: the assignment in force at T
        latest = facts.batches[batch_id]
        if latest.stamp[0] > win.last and (b := in_force(facts, batch_id, latest, win.last)) and b.kind == kind:
            found.append(b)
    return sorted(found, key=lambda b: b.stamp)


def mount_at(facts: CatalogFacts, code: str, t: Instant) -> Stamp | None:
    m = facts.mounted.get(code)
    return m if m is not None and m[0] <= t else None


def completion(facts: CatalogFacts, codes: frozenset[str], t: Instant) -> Instant | None:
    """When the last of `codes` was mounted, if all were mounted by t."""
    done: Instant | None = None
    for code in codes:
        m = mount_at(facts, code, t)
        if m is None:
            return None
        done = m[0] if done is None else max(done, m[0])
    return done


def catalog_batch(view: UnitView, item: Item, win: Window) -> Seen[list[Batch]]:
    return Seen(batches_of(view.catalog, str(item.params["batch_kind"]), win))


def _first_batch_codes(view: UnitView, win: Window) -> tuple[set[str], tuple[Any, ...]]:
    batches = batches_of(view.catalog, "first_batch_catalog", win)
    codes: set[str] = set()
    for b in batches:
        codes |= b.codes
    return codes, tuple(b.stamp[1] for b in batches)


def first_batch_publication_rate(view: UnitView, item: Item, win: Window) -> Seen[Rate | None]:
    codes, causes = _first_batch_codes(view, win)
    first, last = view.catalog.first_published, win.last
    done = sum(1 for c in codes if first.get(c, last + 1) <= last)
    return Seen(Rate(done, len(codes), causes))


def first_batch_mount_rate(view: UnitView, item: Item, win: Window) -> Seen[Rate | None]:
    codes, causes = _first_batch_codes(view, win)
    done = sum(1 for c in codes if mount_at(view.catalog, c, win.last) is not None)
    return Seen(Rate(done, len(codes), causes))


# staleness -------------------------------------------------------------------------------------
def _period_end(anchor: Instant, cycle: str) -> Instant:
    if cycle in _CYCLE_DAYS:
        return anchor + _CYCLE_DAYS[cycle] * DAY_US
    return _months_later(anchor, _CYCLE_MONTHS[cycle])


@lru_cache(maxsize=1 << 14)
def _months_later(anchor: Instant, months: int) -> Instant:
    return add_months(anchor, months)


def stale_at(facts: CatalogFacts, code: str, t: Instant) -> bool:
    """Whether a published, mounted resource is stale at t: its update period has run out since its
    latest anchor (its latest update at or before t, or its mount). The dashboard's count of stale
    resources now; the monthly item (stale_resources) asks whether it was stale at any time in a month."""
    mount = facts.mounted.get(code)
    pubs = facts.published.get(code)
    if mount is None or mount[0] > t or not pubs:
        return False
    visible = _visible_publications(pubs, t)
    if visible is None:
        return False
    anchor = max([mount[0], *(u for u in facts.updates.get(code, {}) if u <= t)])
    return _period_end(anchor, visible[1]) < t


Staleness = tuple[Occurrence | None, tuple[Instant, ...]]  # the occurrence, the instants compared with T


def stale_resources(view: UnitView, item: Item, win: Window) -> Seen[list[Occurrence]]:
    """A published and mounted resource is stale at x when x > last anchor + one update period
    (anchor: its latest update, or its mount); it costs once in a month where it was stale at
    some visible instant. Each resource's finding is kept in the scorer's memo until its facts
    change or the visible instant moves."""
    facts, memo, unit = view.catalog, view.memo, view.unit
    out: list[Occurrence] = []
    watched: list[Instant] = []
    for code, pubs in facts.published.items():
        occ, seen = memo.per_code(unit, facts, code, win.month, win.last,
                                  lambda: _stale_code(view, code, pubs, win))  # noqa: B023 (called at once)
        watched += seen
        if occ is not None:
            out.append(occ)
    return Seen(out, tuple(watched))


def _visible_publications(pubs: dict[EventId, tuple[Instant, str]], last: Instant) -> tuple[Instant, str] | None:
    """The earliest visible publication's time and the cycle of the latest one (in force)."""
    first: Instant | None = None
    latest: tuple[Instant, EventId, str] | None = None
    for eid, (t, cyc) in pubs.items():
        if t <= last:
            if first is None or t < first:
                first = t
            if latest is None or (t, eid) > latest[:2]:
                latest = (t, eid, cyc)
    return None if first is None or latest is None else (first, latest[2])


def _stale_code(view: UnitView, code: str, pubs: dict[EventId, tuple[Instant, str]], win: Window) -> Staleness:
    """One resource's staleness occurrence in the window, and the instants compared with T."""
    last, facts = win.last, view.catalog
    mount = facts.mounted.get(code)
    visible = _visible_publications(pubs, last) if mount is not None and mount[0] <= last else None
    if mount is None or visible is None:
        return None, ()
    first, cycle = visible
    lo = max(win.start, mount[0], first)
    if lo > last:  # T is before the month begins: the resource may be stale from its first instant on
        return None, (lo,)
    # Anchors: the mount and the visible updates, in (time, id) order. The walk starts at the
    # latest anchor at or before lo (never before the mount, which is at or before lo).
    times, ids = view.memo.update_times(view.unit, facts, code)
    k, n = bisect_right(times, lo), bisect_right(times, last)
    anchor = mount if k == 0 or mount > (times[k - 1], ids[k - 1]) else (times[k - 1], ids[k - 1])
    watched = []
    while True:
        stale_from = _period_end(anchor[0], cycle)
        watched.append(stale_from)
        stale_to = times[k] if k < n else None
        # stale on the open interval (stale_from, stale_to); does it meet [lo, last]?
        if stale_from < last and (stale_to is None or (stale_to > lo and stale_from < stale_to)):
            return Occurrence(max(stale_from + 1, lo), 1, None, (anchor[1],)), tuple(watched)
        if k >= n:
            return None, tuple(watched)
        anchor = (times[k], ids[k])
        k += 1


# bonuses -----------------------------------------------------------------------------------------
def _fully_mounted(view: UnitView, kind: str, win: Window) -> Seen[Achievement | None]:
    batches = batches_of(view.catalog, kind, win)
    if not batches:
        return Seen(None)
    codes = frozenset().union(*(b.codes for b in batches))
    done = completion(view.catalog, codes, win.last)
    if done is None:
        return Seen(None)
    at = max(done, *(b.stamp[0] for b in batches))
    return Seen(Achievement(at, len(codes), 1, tuple(b.stamp[1] for b in batches)))


def first_batch_fully_mounted(view: UnitView, item: Item, win: Window) -> Seen[Achievement | None]:
    return _fully_mounted(view, "first_batch_catalog", win)


def batch_kind_fully_mounted(view: UnitView, item: Item, win: Window) -> Seen[Achievement | None]:
    return _fully_mounted(view, str(item.params["batch_kind"]), win)


def every_batch_on_time(view: UnitView, item: Item, win: Window) -> Seen[Achievement | None]:
    """Earned while no batch of the kind has missed its deadline and at least one was completed
    on time; batches not yet due do not block it."""
    done_at: list[Instant] = []
    causes = []
    watched = []
    for b in batches_of(view.catalog, str(item.params["batch_kind"]), win):
        due = date_end(b.deadline)
        watched.append(due)
        done = completion(view.catalog, b.codes, win.last)
        if done is not None and done < due:
            done_at.append(max(done, b.stamp[0]))
            causes.append(b.stamp[1])
        elif due <= win.last:
            return Seen(None, tuple(watched))
    if not done_at:
        return Seen(None, tuple(watched))
    return Seen(Achievement(max(done_at), None, 1, tuple(causes)), tuple(watched))
