"""#23: one write followed to its alert. An inspector's finding is one trace: the HTTP call, the outbox relay's
publish (with the time the event waited), the alert span the projection starts for the deduction it caused,
the alert event's own publish and the webhook POST (which hands the trace on as `traceparent`). The
projection's batch span is linked to the finding's publish span. Spans come from the SDK's in-memory
exporter of this process, where the service runs."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from hubkit.testing import memory_spans, serving, token
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from scoring.bootstrap import create_app

from tests.scoring_live.test_alerts import HOOK_PORT, SECRET, receiver, settings, until
from tests.scoring_live.test_live_projection import failed_call, publish, registered, unique_unit

pytestmark = pytest.mark.integration


def one(spans: list[ReadableSpan], what: str, **match: Any) -> ReadableSpan:
    found = [s for s in spans if all(getattr(s, k) == v for k, v in match.items())]
    assert len(found) == 1, (what, [(s.name, s.kind) for s in spans])
    return found[0]


async def test_a_finding_is_one_trace_from_the_http_call_to_the_webhook_post(database_url: str,
                                                                              kafka_bootstrap: str) -> None:
    exporter = memory_spans()
    unit = unique_unit()
    hook_app, calls = receiver(fail_first=0)
    app = create_app(settings(database_url, kafka_bootstrap))
    async with serving(hook_app, port=HOOK_PORT) as hook_url, serving(app) as url, \
            httpx.AsyncClient(base_url=url, timeout=30) as client:  # a cold start on a busy CI machine
        await publish(kafka_bootstrap, [registered(unit, "自治区追踪厅"), failed_call(unique_unit(), unit, 9)])
        own = token("department", unit)
        assert (await client.put(f"/webhooks/{unit}", headers=own,
                                 json={"url": f"{hook_url}/hook", "secret": SECRET})).status_code == 200

        async def known() -> bool:
            return (await client.get(f"/scores/{unit}", params={"month": "2019-08"}, headers=own)).status_code == 200

        await until(known)
        exporter.clear()
        finding = {"finding_id": f"trace-{unit}", "unit": unit, "item": "A4.1", "effect": "holds",
                   "occurred_at": "2019-08-12T10:00:00+08:00"}
        assert (await client.post("/findings", json=finding, headers=token("inspector"))).status_code == 202

        async def alerted() -> list[dict[str, Any]]:  # August's (the flag may hold on in a later month too)
            return [c for c in calls if orjson.loads(c["body"])["item"] == "A4.1"
                    and orjson.loads(c["body"])["month"] == "2019-08"]

        [post] = await until(alerted)
        alert_id = orjson.loads(post["body"])["id"]

        async def relayed() -> bool:  # the alert event leaves through the outbox, apart from the webhook's POST
            return any(s.attributes.get("messaging.message.id") == alert_id  # type: ignore[union-attr]
                       and s.name == "publish hub.scoring.deduction-alerted.v1" for s in exporter.get_finished_spans())

        await until(relayed)

    spans = list(exporter.get_finished_spans())
    http = one(spans, "the HTTP call", name="POST /findings", kind=trace.SpanKind.SERVER)
    trace_id = http.context.trace_id
    mine = [s for s in spans if s.context.trace_id == trace_id]
    publish_finding = one(mine, "the finding's publish", name="publish hub.scoring.finding-recorded.v1")
    assert publish_finding.kind == trace.SpanKind.PRODUCER
    assert publish_finding.attributes["hub.outbox.waited_s"] >= 0  # type: ignore[index,operator]
    alert = one([s for s in mine if s.attributes.get("hub.alert.id") == alert_id], "the alert",  # type: ignore[union-attr]
                name="alert A4.1")
    assert alert.parent is not None and alert.parent.span_id == publish_finding.context.span_id
    assert alert.attributes["hub.unit"] == unit  # type: ignore[index]
    webhook = one([s for s in mine if s.attributes.get("hub.alert.id") == alert_id], "the webhook POST",  # type: ignore[union-attr]
                  name="webhook POST", kind=trace.SpanKind.CLIENT)
    assert webhook.parent is not None and webhook.parent.span_id == alert.context.span_id
    alert_event = one([s for s in mine if s.attributes.get("messaging.message.id") == alert_id],  # type: ignore[union-attr]
                      "the alert's publish", name="publish hub.scoring.deduction-alerted.v1")
    assert alert_event.parent is not None and alert_event.parent.span_id == alert.context.span_id
    batches = [s for s in spans if s.name == "process scoring batch"
               and any(link.context.span_id == publish_finding.context.span_id for link in s.links)]
    assert len(batches) == 1 and batches[0].kind == trace.SpanKind.CONSUMER  # linked, in its own trace
    # in order: the call, the relay's publish, the batch that folded it, the alert, its webhook POST
    starts = [http.start_time, publish_finding.start_time, batches[0].start_time, alert.start_time,
              webhook.start_time]
    assert starts == sorted(starts), starts
    assert orjson.loads(post["body"])["trace_id"] == format(trace_id, "032x")  # to open it in Jaeger
    traceparent = post["headers"]["traceparent"]
    assert traceparent.split("-")[1:3] == [format(trace_id, "032x"), format(webhook.context.span_id, "016x")]
