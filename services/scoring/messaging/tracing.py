"""Traces and metrics of the projection: a span per batch linked to the events it folded, and a span per
deduction alert that continues the trace of the fact that caused it, so one trace runs from the
department's HTTP call through the relay to the alert, its event and its webhook POST."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
from aiokafka import ConsumerRecord
from hubkit.telemetry import EVENTS, SECONDS, context_from_kafka, headers_of, meter, tracer
from opentelemetry import trace

from scoring.messaging.outputs import AlertRow

MAX_LINKS = 128  # the SDK's default limit of links per span; a batch links its first events
PER_ALERT_SPANS = 256  # more alerts in one batch share one span (alert_traces)
# One tracer for the module (a proxy until the provider is set): getting one per alert made a new Tracer each time.
_tracer = tracer("gov-hub.scoring")

_batch_size = meter().create_histogram("hub.scoring.batch.size", unit="{event}",
                                       description="events folded per projection batch",
                                       explicit_bucket_boundaries_advisory=EVENTS)
_batch_duration = meter().create_histogram("hub.scoring.batch.duration", unit="s",
                                           description="a projection batch from fetch to commit",
                                           explicit_bucket_boundaries_advisory=SECONDS)
_alert_latency = meter().create_histogram("hub.scoring.alert.latency", unit="s",
                                          description="from the causing event's broker timestamp to its alert's commit",
                                          explicit_bucket_boundaries_advisory=SECONDS)


def start_batch(messages: Sequence[ConsumerRecord]) -> trace.Span:
    """The span of one projection batch, linked to the context of each event it folds (up to MAX_LINKS);
    it is scored in one task and committed in another, so the caller ends it (`end_batch`)."""
    links = []
    for msg in messages[:MAX_LINKS]:
        ctx = trace.get_current_span(context_from_kafka(msg.headers)).get_span_context()
        if ctx.is_valid:
            links.append(trace.Link(ctx))
    return _tracer.start_span("process scoring batch", kind=trace.SpanKind.CONSUMER, links=links,
                               attributes={"messaging.system": "kafka", "messaging.operation.type": "process",
                                           "messaging.batch.message_count": len(messages)})


@contextmanager
def committing(span: trace.Span, began: float, events: int, units: int) -> Iterator[None]:
    """The batch's commit, inside its span (events it writes continue the batch's trace); ends the span.
    `began`: perf_counter when the batch was fetched."""
    started = time.perf_counter()
    with trace.use_span(span, end_on_exit=True):
        yield
        span.set_attributes({"hub.scoring.units_rescored": units, "hub.scoring.events_new": events,
                             "hub.scoring.commit_ms": round((time.perf_counter() - started) * 1000, 3)})
    _batch_size.record(events)
    _batch_duration.record(time.perf_counter() - began)


def alert_traces(alerts: Sequence[AlertRow],
                 fresh: Sequence[tuple[ConsumerRecord, Any]]) -> dict[uuid.UUID, dict[str, str]]:
    """Per alert event id, the trace context its event and its deliveries carry: a span "alert" whose
    parent is the causing event's publish span when that event is in this batch (else the batch's).

    A batch with more than PER_ALERT_SPANS alerts (a deadline sweep's burst, a catch-up after downtime) gives
    them one span linked to their causes instead: a span costs ~35 µs, which made a third of the projection's
    time in a burst of 14,000 alerts, and a span exporter's queue (2,048 by default) drops the rest anyway."""
    if not alerts:
        return {}
    causes = [_cause_ids(payload) for *_, payload in alerts]
    # Only the causes' messages are looked up (a batch has thousands of events, a few alerts): ids as ints,
    # whose hash is C's, not UUID.__hash__'s.
    wanted = {c for ids in causes for c in ids}
    by_id = {key: msg for msg, env in fresh if (key := env.id.int) in wanted}
    found = [next((by_id[c] for c in ids if c in by_id), None) for ids in causes]
    now_ms = time.time() * 1000
    latencies = [max(0.0, (now_ms - cause.timestamp) / 1000) if cause is not None and cause.timestamp else None
                 for cause in found]
    for (*_, item, _, _), latency in zip(alerts, latencies, strict=True):
        if latency is not None:
            _alert_latency.record(latency, {"hub.item": item})
    if len(alerts) > PER_ALERT_SPANS:
        return _one_span(alerts, found)
    out = {}
    for (event_id, unit, month, item, points, _), cause, latency in zip(alerts, found, latencies, strict=True):
        parent = context_from_kafka(cause.headers) if cause is not None else None
        span = _tracer.start_span(f"alert {item}", context=parent, attributes={
            "hub.alert.id": str(event_id), "hub.unit": unit, "hub.month": month, "hub.item": item,
            "hub.points_added": str(points)})
        if latency is not None:
            span.set_attribute("hub.alert.latency_s", latency)
        out[event_id] = headers_of(span)
        span.end()
    return out


def _one_span(alerts: Sequence[AlertRow], causes: Sequence[ConsumerRecord | None]) -> dict[uuid.UUID, dict[str, str]]:
    """The alerts of a burst under one span (in the batch's trace), linked to the first MAX_LINKS causes."""
    links: list[trace.Link] = []
    linked: set[int] = set()
    for cause in causes:
        if len(links) == MAX_LINKS:
            break
        if cause is None:
            continue
        ctx = trace.get_current_span(context_from_kafka(cause.headers)).get_span_context()
        if ctx.is_valid and ctx.span_id not in linked:
            linked.add(ctx.span_id)
            links.append(trace.Link(ctx))
    span = _tracer.start_span("alerts", links=links, attributes={
        "hub.alerts": len(alerts), "hub.units": len({unit for _, unit, *_ in alerts})})
    headers = headers_of(span)
    span.end()
    return {event_id: headers for event_id, *_ in alerts}


def _cause_ids(payload: bytes) -> list[int]:
    return [uuid.UUID(i).int for i in orjson.loads(payload).get("cause_event_ids", [])]
