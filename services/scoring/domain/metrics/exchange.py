"""Exchange metrics: upheld disputes, failed calls, late request decisions, first data use."""

from __future__ import annotations

from scoring.domain.clock import Instant, shift_month
from scoring.domain.deadlines import working_deadline_at
from scoring.domain.facts import EventId, Request
from scoring.domain.ruleset import Item
from scoring.domain.window import Achievement, Occurrence, Seen, UnitView, Window


def upheld_disputes(view: UnitView, item: Item, win: Window) -> Seen[list[Occurrence]]:
    kind = item.params["data_kind"]
    bucket = view.exchange.disputes.get(win.month, {})
    return Seen([Occurrence(s[0], 1, None, (s[1],)) for (k, _), s in bucket.items() if k == kind])


def failed_calls(view: UnitView, item: Item, win: Window) -> Seen[list[Occurrence]]:
    """One occurrence per (provider, resource, local day) with a failed call: storms count once."""
    kind = item.params["data_kind"]
    bucket = view.exchange.failed_calls.get(win.month, {})
    return Seen([Occurrence(s[0], 1, None, (s[1],)) for (k, _, _), s in bucket.items() if k == kind])


def late_request_decisions(view: UnitView, item: Item, win: Window) -> Seen[list[Occurrence]]:
    """Late = first decision after n working days from forwarding, or none by then (occurs at the
    deadline); a first decision that refuses without a reason occurs at the refusal; once each."""
    kind, n = item.params["data_kind"], int(item.params["working_days"])
    facts = view.exchange
    out: list[Occurrence] = []
    watched: list[Instant] = []
    for back in (0, 1, 2):  # n <= 5 working days never spans more than two month boundaries
        for rid in sorted(facts.requests_by_month.get(shift_month(win.month, -back), ())):
            req = facts.requests[rid]
            late = _lateness(req, n) if req.data_kind == kind else None
            if late is None:
                continue
            at, causes = late
            watched.append(at)
            if win.start <= at <= win.last:
                out.append(Occurrence(at, 1, None, causes))
    return Seen(out, tuple(watched))


def _lateness(req: Request, working_days: int) -> tuple[Instant, tuple[EventId, ...]] | None:
    """When the request becomes a late decision, and why; None when decided in time with reasons."""
    start = req.clock_start()
    if start is None:
        return None
    deadline = working_deadline_at(start, working_days)
    first = min(((t, eid, empty) for eid, (t, empty) in req.decisions.items()), default=None)
    if first is None or first[0] > deadline:
        causes: tuple[EventId, ...] = (req.forwarded[1],) if req.forwarded else ()
        return deadline, causes if first is None else (*causes, first[1])
    if first[2]:
        return first[0], (first[1],)
    return None


def first_data_use(view: UnitView, item: Item, win: Window) -> Seen[Achievement | None]:
    s = view.exchange.first_use.get(str(item.params["purpose"]))
    return Seen(Achievement(s[0], None, 1, (s[1],)) if s is not None and s[0] <= win.last else None)
