"""Webhook delivery of deduction alerts: signed, at least once, retried with backoff for the retry window.

Each POST carries `Idempotency-Key` (the alert's event id, the same on every attempt),
`X-Hub-Timestamp` (unix seconds) and `X-Hub-Signature-256: sha256=<hex>` where the hex is
HMAC-SHA256(secret, timestamp + "." + body). A receiver checks the signature, rejects stale
timestamps and drops keys it has seen. Retries use real time (the database clock), not the
simulated clock of a demo, because they are about the receiver's uptime, not about scores.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from typing import Any

import httpx
import orjson
from hubkit import telemetry
from hubkit.db import json_value
from hubkit.egress import EgressPolicy, egress_client
from hubkit.egress import refused as egress_refused
from hubkit.service import ServiceHost
from hubkit.telemetry import context_from_headers, current_trace_headers, meter, tracer
from opentelemetry import trace

from scoring.domain.ruleset import Ruleset
from scoring.messaging.alert_feed import documents
from scoring.messaging.projector import LiveProjector
from scoring.settings import ScoringSettings
from scoring.storage import alerts as repo
from scoring.views import LiveView

log = telemetry.get_logger(__name__)
_attempts = meter().create_counter("hub.webhook.attempts", unit="{attempt}",
                                   description="webhook POST attempts by outcome (delivered, pending: to retry, dead, "
                                               "superseded: reported after another sender took over)")



def _host(row: Any) -> str:
    return httpx.URL(row["url"]).host


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def failure_category(exc: httpx.HTTPError) -> str:
    """What departments see of a failed delivery: a category, never the raw connection error (which
    would tell a port scanner what answers where)."""
    if egress_refused(exc) is not None:
        return "refused by egress policy"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.ConnectError):
        return "connection failed"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ProtocolError):
        return "protocol error"
    return "delivery failed"


def backoff(attempt: int, base: float, cap: float) -> float:
    """Seconds before the next attempt after `attempt` failures: base, 2·base, 4·base… up to cap."""
    return float(min(cap, base * 2 ** min(attempt - 1, 40)))


class WebhookSender:
    def __init__(self, settings: ScoringSettings, ruleset: Ruleset, projector: LiveProjector) -> None:
        self.settings, self.ruleset, self.projector = settings, ruleset, projector

    async def run(self, host: ServiceHost) -> None:
        policy = EgressPolicy.parse(self.settings.egress_allow)  # a webhook must be public (or allowed)
        async with egress_client(policy, timeout=self.settings.webhook_timeout_seconds) as client:
            while True:
                sent = await self.send_due(host, client)
                if not sent:
                    await asyncio.sleep(self.settings.webhook_poll_seconds)

    async def send_due(self, host: ServiceHost, client: httpx.AsyncClient) -> int:
        s = self.settings
        if not self.projector.ready.is_set():  # a standby, or memory being rebuilt: the words need the facts
            return 0
        async with host.pool.acquire() as conn:
            due = await repo.claim_due(conn, lease_seconds=s.webhook_timeout_seconds * 3, limit=50)
            if not due:
                return 0
            docs = await documents(conn, due, self.ruleset, LiveView(self.projector, self.ruleset, host.pool),
                                   self.settings.appeal_working_days)
        await asyncio.gather(*(self._attempt(host, client, row, doc) for row, doc in zip(due, docs, strict=True)))
        return len(due)

    async def _attempt(self, host: ServiceHost, client: httpx.AsyncClient, row: Any, doc: dict[str, Any]) -> None:
        s = self.settings
        body = orjson.dumps(doc)
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "Idempotency-Key": str(row["event_id"]),
                   "X-Hub-Timestamp": timestamp, "X-Hub-Signature-256": sign(row["secret"], timestamp, body),
                   "X-Hub-Delivery-Attempt": str(row["attempts"]), "User-Agent": "gov-hub-scoring/1"}
        started = time.perf_counter()
        code: int | None = None
        error: str | None = None
        # The POST continues the trace of the alert (and so of the write that caused the deduction); the
        # department's server receives the context as `traceparent`.
        with tracer().start_as_current_span(
                "webhook POST", context=context_from_headers(json_value(row["trace_headers"])),
                kind=trace.SpanKind.CLIENT, attributes={"http.request.method": "POST", "server.address": _host(row),
                                                        "hub.alert.id": str(row["event_id"]),
                                                        "hub.delivery.attempt": row["attempts"]}) as span:
            headers.update(current_trace_headers())
            try:
                response = await client.post(row["url"], content=body, headers=headers)
                code = response.status_code
                span.set_attribute("http.response.status_code", code)
                if not 200 <= code < 300:
                    error = f"HTTP {code}"
            except httpx.HTTPError as exc:
                error = failure_category(exc)
            if error:
                span.set_status(trace.Status(trace.StatusCode.ERROR, error))
        duration = int((time.perf_counter() - started) * 1000)
        retry_in = backoff(row["attempts"], s.webhook_backoff_seconds, s.webhook_backoff_max_seconds)
        async with host.pool.acquire() as conn:
            status = await repo.record_attempt(
                conn, delivery_id=row["id"], attempt=row["attempts"], duration_ms=duration, status_code=code,
                error=error, delivered=error is None, retry_in=retry_in, window_seconds=s.webhook_retry_hours * 3600)
        _attempts.add(1, {"outcome": status if status == "superseded" or error else "delivered"})
        if status == "superseded":
            log.warning("webhook attempt reported after another sender took the delivery over",
                        delivery=row["id"], attempt=row["attempts"], error=error)
        elif status == "dead":
            log.warning("webhook delivery dead", delivery=row["id"], url=row["url"], attempts=row["attempts"],
                        error=error)
        elif error:
            log.info("webhook delivery failed, will retry", delivery=row["id"], retry_in=retry_in, error=error)
