"""OpenTelemetry traces and metrics, and structured logs carrying trace ids.

Exporters are OTLP/HTTP when `HUB_OTEL_ENDPOINT` is set (compose points it at the
collector); locally spans and metrics are still recorded in-process, so
instrumentation is exercised by the tests without a collector.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from opentelemetry import metrics, propagate, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

_configured = False
# Histogram buckets (the SDK's defaults are for milliseconds): latencies from a millisecond to a minute,
# and batch sizes from one event to a replay-sized batch.
SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
EVENTS = (1, 5, 10, 50, 100, 500, 1000, 5000, 10000, 50000)


def setup(service: str, *, endpoint: str | None, log_level: str = "INFO", log_json: bool = True) -> None:
    global _configured
    if _configured:
        return
    _configured = True
    resource = Resource.create({"service.name": f"hub-{service}", "service.namespace": "gov-hub"})
    tracer_provider = TracerProvider(resource=resource)
    readers: list[Any] = []
    if endpoint:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces")))
        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics")))
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=readers))
    setup_logging(service, level=log_level, json=log_json)


def _add_trace_ids(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        event["trace_id"] = format(ctx.trace_id, "032x")
        event["span_id"] = format(ctx.span_id, "016x")
    return event


def setup_logging(service: str, *, level: str = "INFO", json: bool = True) -> None:
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_trace_ids,
        structlog.processors.format_exc_info,
    ]
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)
    logging.basicConfig(level=level.upper(), stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
    for noisy in ("aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def tracer(name: str = "gov-hub") -> trace.Tracer:
    return trace.get_tracer(name)


def meter(name: str = "gov-hub") -> metrics.Meter:
    return metrics.get_meter(name)


def current_trace_headers() -> dict[str, str]:
    """W3C trace context of the current span, to store with an outbox row."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def kafka_headers(carrier: Mapping[str, str]) -> list[tuple[str, bytes]]:
    return [(k, v.encode()) for k, v in carrier.items()]


def context_from_kafka(headers: Sequence[tuple[str, bytes]] | None) -> Any:
    carrier = {k: v.decode(errors="replace") for k, v in (headers or [])}
    return propagate.extract(carrier)


def context_from_headers(carrier: Mapping[str, str] | None) -> Any:
    """The trace context stored with a row (an outbox row, an alert): W3C headers in, a context out."""
    return propagate.extract(dict(carrier or {}))


def headers_of(span: trace.Span) -> dict[str, str]:
    """W3C trace context naming `span` as the parent, to send with a message or store with a row."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=trace.set_span_in_context(span))
    return carrier


def publish_span(topic: str, parent: Mapping[str, str] | None, attributes: Mapping[str, Any]) -> trace.Span:
    """A producer span for one message, continuing the trace its row was written in (ended by the caller
    once the broker acknowledged the message)."""
    return tracer().start_span(f"publish {topic}", context=context_from_headers(parent), kind=trace.SpanKind.PRODUCER,
                               attributes={"messaging.system": "kafka", "messaging.operation.type": "send",
                                           "messaging.destination.name": topic, **attributes})


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
