"""The relay's producer spans (#23): a span per row, continuing the trace the row was written in, except
that many rows of one trace (a bulk import) share one span: tracing costs a bulk import next to nothing."""

from __future__ import annotations

import uuid
from typing import Any

from hubkit.relay import PER_ROW_SPANS, OutboxRelay
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider


def row(trace_hex: str, topic: str = "hub.catalog.resource-published.v1") -> dict[str, Any]:
    return {"event_id": uuid.uuid4(), "topic": topic, "waited": 0.25,
            "headers": {"traceparent": f"00-{trace_hex}-b7ad6b7169203331-01"}}


def spans_of(rows: list[dict[str, Any]]) -> list[Any]:
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())
    relay = OutboxRelay.__new__(OutboxRelay)
    relay.schema = "catalog"
    return relay._publish_spans(rows)  # type: ignore[arg-type]


def test_each_row_of_an_interactive_write_gets_its_own_span_in_its_trace() -> None:
    a, b = "0af7651916cd43dd8448eb211c80319c", "1bf7651916cd43dd8448eb211c80319d"
    spans = spans_of([row(a), row(a), row(b)])
    assert len({id(s) for s in spans}) == 3
    assert [format(s.get_span_context().trace_id, "032x") for s in spans] == [a, a, b]
    assert spans[0].attributes["hub.outbox.waited_s"] == 0.25 and spans[0].kind == trace.SpanKind.PRODUCER
    for s in spans:
        s.end()


def test_a_bulk_write_shares_one_span_that_counts_its_rows() -> None:
    bulk, lone = "2cf7651916cd43dd8448eb211c80319e", "3df7651916cd43dd8448eb211c80319f"
    rows = [row(bulk) for _ in range(PER_ROW_SPANS + 1)] + [row(lone)]
    spans = spans_of(rows)
    shared = {id(s) for s in spans[:-1]}
    assert len(shared) == 1 and id(spans[-1]) not in shared
    assert spans[0].attributes["messaging.batch.message_count"] == PER_ROW_SPANS + 1
    assert format(spans[0].get_span_context().trace_id, "032x") == bulk
    for s in {id(s): s for s in spans}.values():
        s.end()
