"""E-license metrics: claimed types pushed, stock aggregation, files, seals, waivers."""

from __future__ import annotations

from bisect import bisect_right

from scoring.domain.clock import Instant
from scoring.domain.facts import Claim, ElicenseFacts
from scoring.domain.ruleset import Item
from scoring.domain.window import Achievement, Interval, Occurrence, Rate, Seen, UnitView, Window


def _issuer_claim(facts: ElicenseFacts, win: Window) -> Claim | None:
    """Claims replace each other; a unit whose claim in force is empty is not an issuer."""
    claim = facts.claim_at(win.last)
    return claim if claim is not None and claim.types else None


def claimed_types_pushed_rate(view: UnitView, item: Item, win: Window) -> Seen[Rate | None]:
    claim = _issuer_claim(view.elicense, win)
    if claim is None:
        return Seen(None)
    first = view.elicense.type_first_push
    done = sum(1 for t in claim.types if t in first and first[t][0] <= win.last)
    return Seen(Rate(done, len(claim.types), (claim.stamp[1],)))


def stock_aggregation_rate(view: UnitView, item: Item, win: Window) -> Seen[Rate | None]:
    claim = _issuer_claim(view.elicense, win)
    if claim is None or claim.declared_stock is None:
        return Seen(None)  # an undeclared stock is B2.2's flag, not a rate
    stock = view.memo.license_times(view.unit, view.elicense)[2]
    return Seen(Rate(bisect_right(stock, win.last), claim.declared_stock, (claim.stamp[1],)))


def pushed_file_share(view: UnitView, item: Item, win: Window) -> Seen[Rate | None]:
    claim = _issuer_claim(view.elicense, win)
    if claim is None:
        return Seen(None)
    pushes, files, _ = view.memo.license_times(view.unit, view.elicense)
    return Seen(Rate(bisect_right(files, win.last), bisect_right(pushes, win.last), (claim.stamp[1],)))


def _claim_spans(facts: ElicenseFacts) -> list[tuple[Claim, Instant | None]]:
    claims = sorted(facts.claims.values(), key=lambda c: c.stamp)
    return [(c, claims[i + 1].stamp[0] if i + 1 < len(claims) else None) for i, c in enumerate(claims)]


def claim_without_declared_stock(view: UnitView, item: Item, win: Window) -> Seen[list[Interval]]:
    return Seen([
        Interval(c.stamp[0], end, False, (c.stamp[1],))
        for c, end in _claim_spans(view.elicense)
        if c.types and c.declared_stock is None
    ])


def no_auto_incremental_ofd(view: UnitView, item: Item, win: Window) -> Seen[list[Interval]]:
    ofd = view.elicense.first_ofd_auto
    out = []
    for c, end in _claim_spans(view.elicense):
        if not c.types:
            continue
        stop = end if ofd is None else (ofd[0] if end is None else min(end, ofd[0]))
        if stop is None or stop > c.stamp[0]:
            out.append(Interval(c.stamp[0], stop, False, (c.stamp[1],)))
    return Seen(out)


def unsealed_license_uses(view: UnitView, item: Item, win: Window) -> Seen[list[Occurrence]]:
    """Each use of a license without the unified e-seal costs its issuer (folded to the issuer)."""
    bucket = view.elicense.unsealed_uses.get(win.month, {})
    return Seen([Occurrence(t, 1, None, (eid,)) for eid, t in bucket.items()])


def stock_fully_aggregated(view: UnitView, item: Item, win: Window) -> Seen[Achievement | None]:
    """The first instant the distinct stock-mode pushes reached the stock declared in force."""
    stock = view.memo.license_times(view.unit, view.elicense)[2]
    best: Achievement | None = None
    watched = []
    for claim, end in _claim_spans(view.elicense):
        k = claim.declared_stock
        if not claim.types or not k or k > len(stock):
            continue
        at = max(claim.stamp[0], stock[k - 1])
        watched.append(at)
        if (end is None or at < end) and at <= win.last and (best is None or at < best.t):
            best = Achievement(at, k, 1, (claim.stamp[1],))
    return Seen(best, tuple(watched))


def first_license_waiver(view: UnitView, item: Item, win: Window) -> Seen[Achievement | None]:
    s = view.elicense.first_waiver
    return Seen(Achievement(s[0], None, 1, (s[1],)) if s is not None and s[0] <= win.last else None)
