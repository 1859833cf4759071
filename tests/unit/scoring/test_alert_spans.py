"""Each alert of a live batch continues the trace of the event that caused it with a span of its own; the
alerts of a burst (a deadline sweep) share one span linked to their causes, so tracing stays a small part of
the projection's time (a span per alert was a third of it in a burst of 14,000)."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal
from typing import Any

import orjson
from hubkit.telemetry import headers_of, tracer
from hubkit.testing import memory_spans
from opentelemetry import trace
from scoring.messaging import tracing


class Record:  # what the projection keeps of a fetched message
    def __init__(self, headers: list[tuple[str, bytes]]) -> None:
        self.headers, self.timestamp = headers, int(time.time() * 1000)


class Envelope:
    def __init__(self, event_id: uuid.UUID) -> None:
        self.id = event_id


def batch(n: int) -> tuple[list[Any], list[Any], list[trace.Span]]:
    """n alerts, each caused by an event of the batch published under a span of its own."""
    alerts, fresh, publishes = [], [], []
    for _ in range(n):
        publish = tracer("test").start_span("publish")
        publish.end()
        cause = uuid.uuid4()
        fresh.append((Record([(k, v.encode()) for k, v in headers_of(publish).items()]), Envelope(cause)))
        alerts.append((uuid.uuid4(), "11450000MB0000000X", "2019-07", "A4.1", Decimal("1.00"),
                       orjson.dumps({"cause_event_ids": [str(cause)]})))
        publishes.append(publish)
    return alerts, fresh, publishes


def test_each_alert_of_a_live_batch_is_a_span_under_its_cause() -> None:
    spans = memory_spans()
    alerts, fresh, publishes = batch(3)
    spans.clear()
    traces = tracing.alert_traces(alerts, fresh)
    made = spans.get_finished_spans()
    assert [s.name for s in made] == ["alert A4.1"] * 3
    for alert, publish, span in zip(alerts, publishes, made, strict=True):
        assert span.parent is not None and span.parent.span_id == publish.get_span_context().span_id
        assert span.attributes is not None and span.attributes["hub.alert.id"] == str(alert[0])
        assert traces[alert[0]]["traceparent"].split("-")[2] == format(span.context.span_id, "016x")


def test_the_alerts_of_a_burst_share_one_span_linked_to_their_causes() -> None:
    spans = memory_spans()
    n = tracing.PER_ALERT_SPANS + 1
    alerts, fresh, publishes = batch(n)
    spans.clear()
    traces = tracing.alert_traces(alerts, fresh)
    made = spans.get_finished_spans()
    assert [s.name for s in made] == ["alerts"]
    shared = made[0]
    assert shared.attributes is not None and shared.attributes["hub.alerts"] == n
    assert [link.context.span_id for link in shared.links] == \
        [p.get_span_context().span_id for p in publishes[:tracing.MAX_LINKS]]
    parents = {tuple(traces[a[0]]["traceparent"].split("-")[1:3]) for a in alerts}
    assert parents == {(format(shared.context.trace_id, "032x"), format(shared.context.span_id, "016x"))}
