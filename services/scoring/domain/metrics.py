"""Fact computations named by rulesets (`metric = "..."`) for items computed from service events.

Each function reads one unit's facts at a Window and returns the observation its kind needs;
they are registered by name in METRICS, which must match metric_specs.METRIC_SPECS.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from scoring.domain.clock import DAY_US, Instant, add_months, date_end, shift_month
from scoring.domain.deadlines import working_deadline_at
from scoring.domain.facts import Batch, Claim, EventId, Stamp, UnitFacts
from scoring.domain.metric_specs import METRIC_SPECS
from scoring.domain.ruleset import Item
from scoring.domain.window import Achievement, Interval, Occurrence, Rate, UnitView, Window

_CYCLE_DAYS = {"realtime": 1, "daily": 1, "weekly": 7}
_CYCLE_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}


# catalog ---------------------------------------------------------------------------------
def batches_of(facts: UnitFacts, kind: str, win: Window) -> list[Batch]:
    """Batches of a kind assigned at or before T, in a stable order."""
    found = [b for b in facts.batches.values() if b.kind == kind and b.stamp[0] <= win.last]
    return sorted(found, key=lambda b: b.stamp)


def mount_at(facts: UnitFacts, code: str, t: Instant) -> Stamp | None:
    m = facts.mounted.get(code)
    return m if m is not None and m[0] <= t else None


def completion(facts: UnitFacts, codes: frozenset[str], t: Instant) -> Instant | None:
    """When the last of `codes` was mounted, if all were mounted by t."""
    done: Instant | None = None
    for code in codes:
        m = mount_at(facts, code, t)
        if m is None:
            return None
        done = m[0] if done is None else max(done, m[0])
    return done


def catalog_batch(view: UnitView, item: Item, win: Window) -> list[Batch]:
    return batches_of(view.facts, str(item.params["batch_kind"]), win)


def _first_batch_codes(view: UnitView, win: Window) -> tuple[set[str], tuple[Any, ...]]:
    batches = batches_of(view.facts, "first_batch_catalog", win)
    codes: set[str] = set()
    for b in batches:
        codes |= b.codes
    return codes, tuple(b.stamp[1] for b in batches)


def first_batch_publication_rate(view: UnitView, item: Item, win: Window) -> Rate | None:
    codes, causes = _first_batch_codes(view, win)
    first, last = view.facts.first_published, win.last
    done = sum(1 for c in codes if first.get(c, last + 1) <= last)
    return Rate(done, len(codes), causes)


def first_batch_mount_rate(view: UnitView, item: Item, win: Window) -> Rate | None:
    codes, causes = _first_batch_codes(view, win)
    done = sum(1 for c in codes if mount_at(view.facts, c, win.last) is not None)
    return Rate(done, len(codes), causes)


def _period_end(anchor: Instant, cycle: str) -> Instant:
    if cycle in _CYCLE_DAYS:
        return anchor + _CYCLE_DAYS[cycle] * DAY_US
    return _months_later(anchor, _CYCLE_MONTHS[cycle])


@lru_cache(maxsize=1 << 14)
def _months_later(anchor: Instant, months: int) -> Instant:
    return add_months(anchor, months)


def stale_resources(view: UnitView, item: Item, win: Window) -> list[Occurrence]:
    """A published and mounted resource is stale at x when x > last anchor + one update period
    (anchor: its latest update, or its mount); it costs once in a month where it was stale at
    some visible instant."""
    facts = view.facts
    cache, month, last = facts.stale_cache, win.month, win.last
    out: list[Occurrence] = []
    for code, pubs in facts.published.items():
        by_month = cache.get(code)
        if by_month is None:
            by_month = cache[code] = {}
        known = by_month.get(month)
        if known is None or known[0] != last:
            occ, watched = _stale_code(facts, code, pubs, win)
            known = by_month[month] = (last, occ, watched)
        for at in known[2]:
            win.watch(at)
        if known[1] is not None:
            out.append(known[1])
    return out


def _stale_code(
    facts: UnitFacts, code: str, pubs: dict[EventId, tuple[Instant, str]], win: Window
) -> tuple[Occurrence | None, tuple[Instant, ...]]:
    """One resource's staleness occurrence in the window, and the instants compared with T."""
    last = win.last
    mount = facts.mounted.get(code)
    if mount is None or mount[0] > last:
        return None, ()
    first: Instant | None = None  # the earliest visible publication
    latest: tuple[Instant, EventId, str] | None = None  # the latest, whose cycle is in force
    for eid, (t, cyc) in pubs.items():
        if t <= last:
            if first is None or t < first:
                first = t
            if latest is None or (t, eid) > latest[:2]:
                latest = (t, eid, cyc)
    if first is None or latest is None:
        return None, ()
    cycle = latest[2]
    lo = max(win.start, mount[0], first)
    if lo > last:
        return None, ()
    # Anchors: the mount and the visible updates, in (time, id) order. The walk starts at the
    # latest anchor at or before lo (never before the mount, which is at or before lo).
    times, ids = facts.update_times(code)
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


# exchange --------------------------------------------------------------------------------
def upheld_disputes(view: UnitView, item: Item, win: Window) -> list[Occurrence]:
    kind = item.params["data_kind"]
    bucket = view.facts.disputes.get(win.month, {})
    return [Occurrence(s[0], 1, None, (s[1],)) for (k, _), s in bucket.items() if k == kind]


def failed_calls(view: UnitView, item: Item, win: Window) -> list[Occurrence]:
    """One occurrence per (provider, resource, local day) with a failed call: storms count once."""
    kind = item.params["data_kind"]
    bucket = view.facts.failed_calls.get(win.month, {})
    return [Occurrence(s[0], 1, None, (s[1],)) for (k, _, _), s in bucket.items() if k == kind]


def late_request_decisions(view: UnitView, item: Item, win: Window) -> list[Occurrence]:
    """Late = first decision after n working days from forwarding, or none by then (occurs at the
    deadline); a first decision that refuses without a reason occurs at the refusal; once each."""
    kind, n = item.params["data_kind"], int(item.params["working_days"])
    facts = view.facts
    out: list[Occurrence] = []
    for back in (0, 1, 2):  # n <= 5 working days never spans more than two month boundaries
        for rid in sorted(facts.requests_by_month.get(shift_month(win.month, -back), ())):
            req = facts.requests[rid]
            start = req.clock_start()
            if req.data_kind != kind or start is None:
                continue
            deadline = working_deadline_at(start, n)
            first = min(((t, eid, empty) for eid, (t, empty) in req.decisions.items()), default=None)
            if first is None or first[0] > deadline:
                at, causes = deadline, ((req.forwarded[1],) if req.forwarded else ())
                if first is not None:
                    causes = (*causes, first[1])
            elif first[2]:
                at, causes = first[0], (first[1],)
            else:
                continue
            win.watch(at)
            if win.start <= at <= win.last:
                out.append(Occurrence(at, 1, None, causes))
    return out


def first_data_use(view: UnitView, item: Item, win: Window) -> Achievement | None:
    s = view.facts.first_use.get(str(item.params["purpose"]))
    return Achievement(s[0], None, 1, (s[1],)) if s is not None and s[0] <= win.last else None


# elicense --------------------------------------------------------------------------------
def _issuer_claim(facts: UnitFacts, win: Window) -> Claim | None:
    """Claims replace each other; a unit whose claim in force is empty is not an issuer."""
    claim = facts.claim_at(win.last)
    return claim if claim is not None and claim.types else None


def claimed_types_pushed_rate(view: UnitView, item: Item, win: Window) -> Rate | None:
    claim = _issuer_claim(view.facts, win)
    if claim is None:
        return None
    first = view.facts.type_first_push
    done = sum(1 for t in claim.types if t in first and first[t][0] <= win.last)
    return Rate(done, len(claim.types), (claim.stamp[1],))


def stock_aggregation_rate(view: UnitView, item: Item, win: Window) -> Rate | None:
    claim = _issuer_claim(view.facts, win)
    if claim is None or claim.declared_stock is None:
        return None  # an undeclared stock is B2.2's flag, not a rate
    done = bisect_right(view.facts.sorted_stock_times(), win.last)
    return Rate(done, claim.declared_stock, (claim.stamp[1],))


def pushed_file_share(view: UnitView, item: Item, win: Window) -> Rate | None:
    claim = _issuer_claim(view.facts, win)
    if claim is None:
        return None
    pushed = bisect_right(view.facts.sorted_push_times(), win.last)
    with_file = bisect_right(view.facts.sorted_file_times(), win.last)
    return Rate(with_file, pushed, (claim.stamp[1],))


def _claim_spans(facts: UnitFacts) -> list[tuple[Claim, Instant | None]]:
    claims = sorted(facts.claims.values(), key=lambda c: c.stamp)
    return [(c, claims[i + 1].stamp[0] if i + 1 < len(claims) else None) for i, c in enumerate(claims)]


def claim_without_declared_stock(view: UnitView, item: Item, win: Window) -> list[Interval]:
    return [
        Interval(c.stamp[0], end, False, (c.stamp[1],))
        for c, end in _claim_spans(view.facts)
        if c.types and c.declared_stock is None
    ]


def no_auto_incremental_ofd(view: UnitView, item: Item, win: Window) -> list[Interval]:
    ofd = view.facts.first_ofd_auto
    out = []
    for c, end in _claim_spans(view.facts):
        if not c.types:
            continue
        stop = end if ofd is None else (ofd[0] if end is None else min(end, ofd[0]))
        if stop is None or stop > c.stamp[0]:
            out.append(Interval(c.stamp[0], stop, False, (c.stamp[1],)))
    return out


def unsealed_license_uses(view: UnitView, item: Item, win: Window) -> list[Occurrence]:
    """Each use of a license without the unified e-seal costs its issuer (folded to the issuer)."""
    bucket = view.facts.unsealed_uses.get(win.month, {})
    return [Occurrence(t, 1, None, (eid,)) for eid, t in bucket.items()]


def stock_fully_aggregated(view: UnitView, item: Item, win: Window) -> Achievement | None:
    """The first instant the distinct stock-mode pushes reached the stock declared in force."""
    stock = view.facts.sorted_stock_times()
    best: Achievement | None = None
    for claim, end in _claim_spans(view.facts):
        k = claim.declared_stock
        if not claim.types or not k or k > len(stock):
            continue
        at = max(claim.stamp[0], stock[k - 1])
        win.watch(at)
        if (end is None or at < end) and at <= win.last and (best is None or at < best.t):
            best = Achievement(at, k, 1, (claim.stamp[1],))
    return best


def first_license_waiver(view: UnitView, item: Item, win: Window) -> Achievement | None:
    s = view.facts.first_waiver
    return Achievement(s[0], None, 1, (s[1],)) if s is not None and s[0] <= win.last else None


# catalog bonuses -------------------------------------------------------------------------
def _fully_mounted(view: UnitView, kind: str, win: Window) -> Achievement | None:
    batches = batches_of(view.facts, kind, win)
    if not batches:
        return None
    codes = frozenset().union(*(b.codes for b in batches))
    done = completion(view.facts, codes, win.last)
    if done is None:
        return None
    at = max(done, *(b.stamp[0] for b in batches))
    return Achievement(at, len(codes), 1, tuple(b.stamp[1] for b in batches))


def first_batch_fully_mounted(view: UnitView, item: Item, win: Window) -> Achievement | None:
    return _fully_mounted(view, "first_batch_catalog", win)


def batch_kind_fully_mounted(view: UnitView, item: Item, win: Window) -> Achievement | None:
    return _fully_mounted(view, str(item.params["batch_kind"]), win)


def every_batch_on_time(view: UnitView, item: Item, win: Window) -> Achievement | None:
    """Earned while no batch of the kind has missed its deadline and at least one was completed
    on time; batches not yet due do not block it."""
    done_at: list[Instant] = []
    causes = []
    for b in batches_of(view.facts, str(item.params["batch_kind"]), win):
        due = date_end(b.deadline)
        win.watch(due)
        done = completion(view.facts, b.codes, win.last)
        if done is not None and done < due:
            done_at.append(max(done, b.stamp[0]))
            causes.append(b.stamp[1])
        elif due <= win.last:
            return None
    if not done_at:
        return None
    return Achievement(max(done_at), None, 1, tuple(causes))


Metric = Callable[[UnitView, Item, Window], Any]

METRICS: dict[str, Metric] = {
    "catalog_batch": catalog_batch,
    "first_batch_publication_rate": first_batch_publication_rate,
    "first_batch_mount_rate": first_batch_mount_rate,
    "stale_resources": stale_resources,
    "upheld_disputes": upheld_disputes,
    "failed_calls": failed_calls,
    "late_request_decisions": late_request_decisions,
    "claimed_types_pushed_rate": claimed_types_pushed_rate,
    "claim_without_declared_stock": claim_without_declared_stock,
    "stock_aggregation_rate": stock_aggregation_rate,
    "pushed_file_share": pushed_file_share,
    "no_auto_incremental_ofd": no_auto_incremental_ofd,
    "unsealed_license_uses": unsealed_license_uses,
    "first_batch_fully_mounted": first_batch_fully_mounted,
    "batch_kind_fully_mounted": batch_kind_fully_mounted,
    "every_batch_on_time": every_batch_on_time,
    "stock_fully_aggregated": stock_fully_aggregated,
    "first_license_waiver": first_license_waiver,
    "first_data_use": first_data_use,
}

assert set(METRICS) == set(METRIC_SPECS), "metrics and metric_specs disagree"
