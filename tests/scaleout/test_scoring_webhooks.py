"""Webhook deliveries with two scoring instances on one database (two shards, each running its sender): every
due delivery is claimed by one sender at a time, so each attempt of each alert is sent once and each alert is
answered 2xx once, under retries; and an instance that dies in the middle of a POST loses nothing: once its
lease ends the other sends the same alert again, with the same idempotency key (at least once; the receiver
drops the key it has seen)."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from hubkit.kafka import ensure_topics
from hubkit.runtime.broker import LocalBroker
from hubkit.runtime.ports import free_port
from hubkit.testing import fresh_database, own_broker, running_app, serving, token
from scoring import bootstrap
from scoring.messaging.webhooks import WebhookSender
from scoring.settings import ScoringSettings
from scoring.storage import alerts as alert_rows
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.scoring_live.test_alerts import until
from tests.scoring_live.test_live_projection import failed_call, publish, registered, unique_unit

pytestmark = pytest.mark.integration
PARTITIONS = 2
SHARDS = 2


class Receiver:
    """A department's endpoint: 503 to each alert's first POST, 204 after; once told the keys it knows, it holds
    the first POST of a new key unanswered until released (its sender is killed meanwhile)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []  # (idempotency key, attempt) in arrival order
        self.answered: Counter[str] = Counter()  # 2xx answers per key
        self.known: set[str] | None = None
        self.held: str | None = None
        self.release = asyncio.Event()

    async def hook(self, request: Request) -> Response:
        key = request.headers["idempotency-key"]
        self.calls.append((key, int(request.headers["x-hub-delivery-attempt"])))
        if self.known is not None and key not in self.known and self.held in (None, key) \
                and not self.release.is_set():
            self.held = key
            await self.release.wait()
            return Response(status_code=204)  # too late: the sender that asked is gone
        await asyncio.sleep(0.05)  # a receiver's own work: the other sender claims meanwhile
        if sum(1 for k, _ in self.calls if k == key) == 1:
            return Response(status_code=503)
        self.answered[key] += 1
        return Response(status_code=204)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])


class Senders:
    """Which instance sent which attempt: each instance's sender is tagged with its shard."""

    def __init__(self) -> None:
        self.sent: dict[int, list[str]] = defaultdict(list)  # alert ids each shard's sender POSTed

    def sender(self, settings: ScoringSettings, *args: Any) -> WebhookSender:
        sent = self.sent[settings.shard]

        class Tagged(WebhookSender):
            async def _attempt(self, host: Any, client: httpx.AsyncClient, row: Any, doc: dict[str, Any]) -> None:
                sent.append(str(row["event_id"]))
                await super()._attempt(host, client, row, doc)

        return Tagged(settings, *args)


async def deliveries(url: str) -> list[Any]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(
            "SELECT d.alert_id::text AS key, d.status, d.attempts, (SELECT array_agg(a.attempt ORDER BY a.attempt) "
            "FROM scoring.delivery_attempts a WHERE a.delivery_id = d.id) AS logged FROM scoring.deliveries d"))
    finally:
        await conn.close()


async def test_two_instances_send_each_attempt_once_and_a_dead_one_loses_nothing(
    pg_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    senders = Senders()
    monkeypatch.setattr(bootstrap, "WebhookSender", senders.sender)
    # One due delivery per claim (50 in production): a sender busy with one leaves the next to the other, so both
    # take part however their polls fall.
    claim_due = alert_rows.claim_due
    monkeypatch.setattr(alert_rows, "claim_due", lambda conn, lease_seconds, limit: claim_due(conn, lease_seconds, 1))
    url, hook_port, receiver = await fresh_database(pg_server), free_port(), Receiver()
    providers, consumer = [unique_unit() for _ in range(10)], unique_unit()

    def settings(shard: int) -> ScoringSettings:
        return ScoringSettings(database_url=url, shards=SHARDS, shard=shard, kafka_bootstrap=broker.bootstrap,
                               submissions="none", inventory="none", outbox_poll_seconds=0.05,
                               webhook_backoff_seconds=0.05, webhook_poll_seconds=0.05, webhook_timeout_seconds=1,
                               egress_allow=f"127.0.0.1:{hook_port}")

    broker: LocalBroker = own_broker(tmp_path / "broker")
    broker.start()
    try:
        await ensure_topics(broker.bootstrap, partitions=PARTITIONS)
        async with AsyncExitStack() as stack, serving(receiver.app(), port=hook_port) as hook_url:
            instances = [AsyncExitStack() for _ in range(SHARDS)]
            stack.push_async_callback(lambda: asyncio.gather(*(i.aclose() for i in instances)))
            clients = [await i.enter_async_context(running_app(bootstrap.create_app(settings(n))))
                       for n, i in enumerate(instances)]
            await until(lambda: _all_ready(clients), timeout=60)  # both senders send from now on
            for unit in providers:
                r = await clients[0].put(f"/webhooks/{unit}", headers=token("department", unit),
                                         json={"url": f"{hook_url}/hook", "secret": "s3cret-s3cret-s3cret"})
                assert r.status_code == 200, r.text
            await publish(broker.bootstrap, [registered(consumer, "自治区用数厅"),
                                             *(registered(u, f"自治区告警{n}厅") for n, u in enumerate(providers)),
                                             *(failed_call(u, consumer, 5) for u in providers)])  # an alert each

            async def all_delivered() -> list[Any]:
                rows = await deliveries(url)
                return rows if len(rows) == len(providers) and all(r["status"] == "delivered" for r in rows) else []

            rows = await until(all_delivered, timeout=90)
            keys = {r["key"] for r in rows}
            assert receiver.answered == Counter({key: 1 for key in keys})  # each alert taken once
            assert sorted(receiver.calls) == sorted((key, n) for key in keys for n in (1, 2))  # each attempt once
            assert all(r["attempts"] == 2 and list(r["logged"]) == [1, 2] for r in rows)
            assert all(senders.sent[shard] for shard in range(SHARDS)), "both instances sent"

            # An instance dies in the middle of a POST: the other sends the alert again after the lease.
            receiver.known = keys
            await publish(broker.bootstrap, [failed_call(providers[0], consumer, 8)])
            held = await until(lambda: _held(receiver))
            sender = next(shard for shard in range(SHARDS) if held in senders.sent[shard])
            await instances[sender].aclose()
            receiver.release.set()

            async def redelivered() -> list[Any]:
                return [r for r in await deliveries(url) if r["key"] == held and r["status"] == "delivered"]

            [row] = await until(redelivered)
            survivor = 1 - sender
            assert held in senders.sent[survivor]
            assert [n for k, n in receiver.calls if k == held] == [1, 2] and receiver.answered[held] == 1
            assert row["attempts"] == 2 and list(row["logged"]) == [2]  # the dead one's attempt never came back
    finally:
        broker.stop()


async def _all_ready(clients: list[httpx.AsyncClient]) -> bool:
    return all([(await client.get("/ready")).status_code == 200 for client in clients])


async def _held(receiver: Receiver) -> str | None:
    return receiver.held

