"""A unit's exchange facts, as provider (requests, failed calls, upheld disputes) and as consumer
(its first data use)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias

import contracts.fastdecode as fast
from contracts import exchange as x

from scoring.domain.clock import Instant, local_day, month_of, month_of_day, to_instant
from scoring.domain.facts.stamps import EventId, Stamp, earlier

Submitted: TypeAlias = x.RequestSubmitted | fast.RequestSubmitted
Forwarded: TypeAlias = x.RequestForwarded | fast.RequestForwarded
Decided: TypeAlias = x.RequestApproved | fast.RequestApproved | x.RequestRejected | fast.RequestRejected
Rejected: TypeAlias = x.RequestRejected | fast.RequestRejected
CallFailed: TypeAlias = x.CallFailed | fast.CallFailed
DisputeUpheld: TypeAlias = x.DisputeUpheld | fast.DisputeUpheld
DataUsed: TypeAlias = x.DataUsed | fast.DataUsed


@dataclass(slots=True)
class Request:
    """A data request to this provider; the clock starts at the earliest forwarding."""

    data_kind: str | None = None
    kind_stamp: Stamp | None = None  # data_kind is taken from the earliest event naming it
    forwarded: Stamp | None = None
    forwarded_at_hint: Instant | None = None  # from decisions, when no forwarding event is seen
    decisions: dict[EventId, tuple[Instant, bool]] = field(default_factory=dict)  # id -> (t, empty refusal)

    def name_kind(self, stamp: Stamp, kind: str) -> None:
        if earlier(self.kind_stamp, stamp):
            self.kind_stamp, self.data_kind = stamp, kind

    def clock_start(self) -> Instant | None:
        if self.forwarded is not None:
            return self.forwarded[0]
        return self.forwarded_at_hint


@dataclass(slots=True)
class ExchangeFacts:
    failed_calls: dict[str, dict[tuple[str, str, int], Stamp]] = field(default_factory=dict)  # month ->
    disputes: dict[str, dict[tuple[str, str], Stamp]] = field(default_factory=dict)  # month ->
    requests: dict[str, Request] = field(default_factory=dict)
    requests_by_month: dict[str, set[str]] = field(default_factory=dict)  # clock-start month ->
    first_use: dict[str, Stamp] = field(default_factory=dict)  # as consumer; purpose|"any" ->

    def request(self, request_id: str) -> Request:
        req = self.requests.get(request_id)
        if req is None:
            req = self.requests[request_id] = Request()
        return req

    def rebucket(self, request_id: str, req: Request, before: Instant | None) -> None:
        """File the request under the month its clock starts in, when a fold moved that start."""
        after = req.clock_start()
        if after == before:
            return
        if before is not None:  # an emptied month leaves the index: facts compare equal however they arrived
            month = month_of(before)
            ids = self.requests_by_month.get(month)
            if ids is not None:
                ids.discard(request_id)
                if not ids:
                    del self.requests_by_month[month]
        if after is not None:
            self.requests_by_month.setdefault(month_of(after), set()).add(request_id)


def submit(facts: ExchangeFacts, d: Submitted, s: Stamp) -> None:
    facts.request(d.request_id).name_kind(s, str(d.data_kind))


def forward(facts: ExchangeFacts, d: Forwarded, s: Stamp) -> None:
    req = facts.request(d.request_id)
    req.name_kind(s, str(d.data_kind))
    before = req.clock_start()
    if earlier(req.forwarded, s):
        req.forwarded = s
    facts.rebucket(d.request_id, req, before)


def decide(facts: ExchangeFacts, d: Decided, s: Stamp, empty_refusal: bool) -> None:
    req = facts.request(d.request_id)
    req.name_kind(s, str(d.data_kind))
    req.decisions[s[1]] = (s[0], empty_refusal)
    before = req.clock_start()
    hint = to_instant(d.forwarded_at)
    if req.forwarded_at_hint is None or hint < req.forwarded_at_hint:
        req.forwarded_at_hint = hint
    facts.rebucket(d.request_id, req, before)


def approve(facts: ExchangeFacts, d: Decided, s: Stamp) -> None:
    decide(facts, d, s, empty_refusal=False)


def reject(facts: ExchangeFacts, d: Rejected, s: Stamp) -> None:
    decide(facts, d, s, empty_refusal=not (d.reason or "").strip())


def call_failed(facts: ExchangeFacts, d: CallFailed, s: Stamp) -> None:
    """One failure per (data kind, resource, local day) counts: the earliest of the day is kept."""
    day = local_day(s[0])
    key = (str(d.data_kind), d.resource_code, day)
    bucket = facts.failed_calls.setdefault(month_of_day(day), {})
    cur = bucket.get(key)
    if cur is None or s < cur:
        bucket[key] = s


def dispute_upheld(facts: ExchangeFacts, d: DisputeUpheld, s: Stamp) -> None:
    key = (str(d.data_kind), d.resource_code)
    bucket = facts.disputes.setdefault(month_of(s[0]), {})
    if earlier(bucket.get(key), s):
        bucket[key] = s


def data_used(facts: ExchangeFacts, d: DataUsed, s: Stamp) -> None:
    for key in ("any", str(d.purpose)):
        if earlier(facts.first_use.get(key), s):
            facts.first_use[key] = s
