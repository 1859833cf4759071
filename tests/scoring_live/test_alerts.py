"""Departments' alerts over real servers: SSE scoped to the unit and resumable, signed webhooks that are
retried until the receiver is back (same idempotency key), and dead deliveries visible to operators."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from typing import Any

import httpx
import orjson
import pytest
from hubkit.runtime.ports import free_port
from hubkit.testing import serving, token
from scoring.bootstrap import create_app
from scoring.settings import ScoringSettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.scoring_live.test_live_projection import failed_call, publish, registered, unique_unit

pytestmark = pytest.mark.integration
SECRET = "s3cret-s3cret-s3cret"


def receiver(fail_first: int) -> tuple[Starlette, list[dict[str, Any]]]:
    """A department's HTTP endpoint that answers 503 to the first `fail_first` POSTs."""
    calls: list[dict[str, Any]] = []

    async def hook(request: Request) -> Response:
        calls.append({"headers": dict(request.headers), "body": await request.body()})
        return Response(status_code=503 if len(calls) <= fail_first else 204)

    return Starlette(routes=[Route("/hook", hook, methods=["POST"])]), calls


HOOK_PORT = free_port()  # the one local destination webhooks may reach in these tests


def settings(database_url: str, kafka_bootstrap: str, **extra: Any) -> ScoringSettings:
    return ScoringSettings(submissions="none", inventory="none",  # about other things: no submission is asked
                               database_url=database_url, kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.1,
                           webhook_backoff_seconds=0.05, webhook_poll_seconds=0.05,
                           egress_allow=f"127.0.0.1:{HOOK_PORT}", **extra)


async def until(predicate: Any, timeout: float = 30.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.1)


async def sse_events(client: httpx.AsyncClient, url: str, headers: dict[str, str], count: int) -> list[dict[str, str]]:
    events: list[dict[str, str]] = []
    current: dict[str, str] = {}
    async with client.stream("GET", url, headers=headers, timeout=30) as response:
        assert response.status_code == 200, await response.aread()
        async for line in response.aiter_lines():
            if not line:
                if "data" in current:
                    events.append(current)
                current = {}
                if len(events) == count:
                    break
                continue
            key, _, value = line.partition(":")
            current[key] = value.strip()
    return events


async def test_webhook_retried_until_back_signed_once_keyed_and_sse_resumes(database_url: str,
                                                                             kafka_bootstrap: str) -> None:
    provider, consumer = unique_unit(), unique_unit()
    hook_app, calls = receiver(fail_first=3)
    own, other = token("department", provider), token("department", consumer)
    scoring = create_app(settings(database_url, kafka_bootstrap))
    async with serving(hook_app, port=HOOK_PORT) as hook_url, serving(scoring) as url, \
            httpx.AsyncClient(base_url=url) as client:
        r = await client.put(f"/webhooks/{provider}", headers=own, json={"url": f"{hook_url}/hook", "secret": SECRET})
        assert r.status_code == 200
        assert (await client.put(f"/webhooks/{provider}", headers=other,
                                 json={"url": f"{hook_url}/hook"})).status_code == 403
        assert (await client.get(f"/alerts/{provider}/stream", headers=other)).status_code == 403

        first = failed_call(provider, consumer, 5)
        await publish(kafka_bootstrap, [registered(provider, "自治区告警厅"), registered(consumer, "自治区用数厅"),
                                        first])

        async def delivered() -> list[dict[str, Any]]:
            rows = (await client.get("/deliveries", headers=own)).json()
            return [d for d in rows if d["status"] == "delivered"]

        [delivery] = await until(delivered)
        assert delivery["attempts"] == 4
        assert [a["status_code"] for a in delivery["attempt_log"]] == [503, 503, 503, 204]
        assert len(calls) == 4
        keys = {c["headers"]["idempotency-key"] for c in calls}
        assert keys == {delivery["alert_id"]}
        last = calls[-1]
        expected = hmac.new(SECRET.encode(), last["headers"]["x-hub-timestamp"].encode() + b"." + last["body"],
                            hashlib.sha256).hexdigest()
        assert last["headers"]["x-hub-signature-256"] == f"sha256={expected}"
        doc = orjson.loads(last["body"])
        assert doc["item"] == "B1.8" and doc["unit"] == provider and doc["causes"][0]["id"] == str(first.id)
        assert "被调用失败" in doc["text"] and doc["title"].startswith("【扣分提醒】2019-08 B1.8")

        # SSE from the start, then a resume after the first id sees only what came later.
        listed = (await client.get(f"/alerts/{provider}", headers=own)).json()
        assert [a["id"] for a in listed] == [delivery["alert_id"]]
        [one] = await sse_events(client, f"/alerts/{provider}/stream?after=0", own, 1)
        assert one["event"] == "deduction-alerted" and orjson.loads(one["data"])["id"] == delivery["alert_id"]
        second = failed_call(provider, consumer, 6)
        await publish(kafka_bootstrap, [second])
        [resumed] = await sse_events(client, f"/alerts/{provider}/stream", {**own, "Last-Event-ID": one["id"]}, 1)
        data = orjson.loads(resumed["data"])
        assert int(resumed["id"]) > int(one["id"]) and data["cause_event_ids"] == [str(second.id)]


async def test_a_receiver_that_never_recovers_ends_dead_and_visible(database_url: str, kafka_bootstrap: str) -> None:
    provider, consumer = unique_unit(), unique_unit()
    hook_app, calls = receiver(fail_first=10**6)
    app = create_app(settings(database_url, kafka_bootstrap, webhook_retry_hours=1.5 / 3600))
    async with serving(hook_app, port=HOOK_PORT) as hook_url, serving(app) as url, \
            httpx.AsyncClient(base_url=url) as client:
        await client.put(f"/webhooks/{provider}", headers=token("department", provider),
                         json={"url": f"{hook_url}/hook", "secret": SECRET})
        await publish(kafka_bootstrap, [registered(provider, "自治区失联厅"), failed_call(provider, consumer, 7)])

        async def dead() -> list[dict[str, Any]]:
            rows = (await client.get("/deliveries", params={"status": "dead"}, headers=token("operator"))).json()
            return [d for d in rows if d["unit"] == provider]

        [row] = await until(dead)
        assert row["attempts"] == len(calls) >= 3
        assert row["last_error"] == "HTTP 503" and row["finished_at"] is not None


async def test_abnormal_license_data_reaches_its_issuer_through_its_webhook_once(database_url: str,
                                                                                kafka_bootstrap: str) -> None:
    """#19: the e-license library's abnormal-data list reaches the issuing unit's systems (its webhook, its
    feed), in words, without points; the event delivered twice is one alert."""
    from datetime import datetime

    from contracts.elicense import AnomalyFound, LicenseFlagged
    from contracts.envelope import new_envelope
    from scoring.domain.clock import SHANGHAI

    issuer = unique_unit()
    hook_app, calls = receiver(fail_first=0)
    own = token("department", issuer)
    app = create_app(settings(database_url, kafka_bootstrap))
    async with serving(hook_app, port=HOOK_PORT) as hook_url, serving(app) as url, \
            httpx.AsyncClient(base_url=url) as client:
        assert (await client.put(f"/webhooks/{issuer}", headers=own,
                                 json={"url": f"{hook_url}/hook", "secret": SECRET})).status_code == 200
        flagged = new_envelope(LicenseFlagged(license_id="L-9", license_type="11100000MB0143028R001", anomalies=[
            AnomalyFound(code="duplicate-number", detail="number N-1 is also carried by L-8 (same issuer and type)")]),
            unit=issuer, occurred_at=datetime(2019, 8, 6, 10, tzinfo=SHANGHAI))
        await publish(kafka_bootstrap, [flagged, flagged])

        async def delivered() -> list[dict[str, Any]]:
            return [d for d in (await client.get("/deliveries", headers=own)).json() if d["status"] == "delivered"]

        [delivery] = await until(delivered)
        assert delivery["alert_id"] == str(flagged.id)
        doc = orjson.loads(calls[-1]["body"])
        assert (doc["type"], doc["unit"], doc["license_id"], doc["points"]) == (
            "elicense.license-flagged", issuer, "L-9", "0")
        assert doc["title"].startswith("【证照异常数据】证照 L-9") and "证照编号重复" in doc["text"]
        await asyncio.sleep(0.5)  # the second delivery of the event has been read by now
        listed = (await client.get(f"/alerts/{issuer}", headers=own)).json()
        assert [a["id"] for a in listed] == [str(flagged.id)] and len(calls) == 1
