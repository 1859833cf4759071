"""The outbox relay: publishes what services wrote to their outbox (`hubkit.outbox`).

It takes unsent rows in order under `FOR UPDATE SKIP LOCKED` (several instances can run), sends them with
acks=all, and marks them sent in the same transaction. If the broker is down the transaction rolls back and the
rows wait: nothing is lost, and a row sent twice after a crash is harmless because every consumer dedupes on the
envelope id. A NOTIFY on commit wakes the relay at once.

Rows go in two lanes, each in write order: events a person waits for (`Payload.URGENT`: alerts, reminders) and the
rest. The urgent lane has a loop of its own, so an alert never waits for a batch of the rest in flight, and while
it fills its batches the rest waits, so an alert written behind a deadline's thousands of score changes is sent
at once. Every topic is in one lane: its events are sent in the order they were written.

Sent rows stay for a retention window (`HUB_OUTBOX_RETENTION_DAYS`). The relay records the broker's cluster id;
when the broker turns out to be another cluster (a log lost and started anew), it publishes every retained row
again, in order, before anything new: consumers dedupe, so a re-seed, or two, changes nothing but what the new
log lacked.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Sequence
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from contracts.event_types import urgent_topics
from opentelemetry import trace

from .db import check_schema_name
from .logident import ClusterWatch
from .outbox import channel
from .telemetry import SECONDS, get_logger, headers_of, kafka_headers, meter, publish_span

log = get_logger(__name__)
_published = meter().create_counter("hub.outbox.published", description="events published from the outbox")
# OpenTelemetry semantic conventions for messaging: messages sent, per destination
_sent = meter().create_counter("messaging.client.sent.messages", unit="{message}",
                               description="messages the relays sent to the broker")
_waited = meter().create_histogram("hub.outbox.wait", unit="s", description="how long an event waited in the "
                                   "outbox before the relay sent it",
                                   explicit_bucket_boundaries_advisory=SECONDS)
_reseeded = meter().create_counter("hub.outbox.reseeded", description="retained events published again to a new log")
PURGE_SECONDS = 600.0
PER_ROW_SPANS = 32  # up to this many rows of one trace get a span each; more (a bulk import) share one


class OutboxRelay:
    def __init__(
        self, pool: asyncpg.Pool, schema: str, producer: AIOKafkaProducer, *,
        batch: int = 500, poll_seconds: float = 0.5, retention_hours: float = 24 * 7,
    ) -> None:
        self.pool, self.schema, self.producer = pool, check_schema_name(schema), producer
        self.batch, self.poll_seconds, self.retention_hours = batch, poll_seconds, retention_hours
        self.healthy = True
        self.watch = ClusterWatch(producer.client)
        self._follow = False  # a cluster change seen and not yet re-seeded
        self._purged = 0.0
        self.urgent = urgent_topics()
        self._urgent_drained = asyncio.Event()  # the urgent lane's last pass left none behind: the rest's turn
        self._urgent_drained.set()
        self._following = asyncio.Lock()  # one lane re-seeds a new cluster; the other waits for it
        self._woken: dict[bool, asyncio.Event] = {}  # each running lane's wake-up, set by a commit's NOTIFY

    async def run(self) -> None:
        listener = await self.pool.acquire()
        lanes = (True, False) if self.urgent else (False,)
        woken = self._woken = {urgent: asyncio.Event() for urgent in lanes}

        def wake(*_: object) -> None:
            for event in woken.values():
                event.set()

        await listener.add_listener(channel(self.schema), wake)
        try:
            async with asyncio.TaskGroup() as lanes_running:  # one fails: both stop, and the guard restarts both
                for urgent in lanes:
                    lanes_running.create_task(self._lane(urgent, woken[urgent]))
        finally:
            with contextlib.suppress(Exception):
                await listener.remove_listener(channel(self.schema), wake)
            await self.pool.release(listener)

    async def _lane(self, urgent: bool, woken: asyncio.Event) -> None:
        """One lane's loop; the rest's waits while the urgent one fills its batches (strict priority: in a burst of
        alerts the rest waits; urgent rows are no more than what the service writes, so its turn comes)."""
        backoff = 0.2
        while True:
            # Cleared before the pass: a row committed while it runs wakes the next at once (cleared after it,
            # that NOTIFY was lost and the row waited out the poll interval).
            woken.clear()
            if not urgent:
                await self._urgent_drained.wait()
            try:
                async with self._following:
                    await self._follow_cluster()
                sent = await self._publish_lane(urgent)
                self.healthy, backoff = True, 0.2
            except (TimeoutError, KafkaError, OSError) as exc:
                self.healthy = False
                log.warning("outbox relay cannot publish; will retry", error=repr(exc), retry_in=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            if urgent:
                (self._urgent_drained.clear if sent == self.batch else self._urgent_drained.set)()
            else:
                await self._purge_now_and_then()
            if sent < self.batch:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(woken.wait(), self.poll_seconds)

    async def _follow_cluster(self) -> None:
        """At start, and whenever the broker is another cluster than the one recorded: re-seed.

        A change seen is followed until a re-seed succeeds: right after a broker came back with a new
        log its topics may not exist yet, the re-seed fails, and the watch will not report the same
        change twice (a relay that forgot it never re-seeded, and the retained events were lost)."""
        if self.watch.known is None:
            await self.watch.current()
            self._follow = True
        elif await self.watch.changed() is not None:
            self._follow = True
        if not self._follow or self.watch.known is None:
            return
        current = self.watch.known
        async with self.pool.acquire() as conn:
            recorded = await conn.fetchval(f"SELECT cluster_id FROM {self.schema}.relay_state")
        if recorded != current:
            await self.reseed(current)
        self._follow = False

    async def reseed(self, cluster: str, *, force: bool = False) -> int:
        """Publish every retained row again, in order, and record `cluster` as the one published to.

        One instance does it (the state row is locked meanwhile); another that finds the cluster
        already recorded when it gets the lock has nothing to do, unless `force` (`hub reseed`)."""
        sent = 0
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(f"INSERT INTO {self.schema}.relay_state (cluster_id) VALUES ('') ON CONFLICT DO NOTHING")
            recorded = await conn.fetchval(f"SELECT cluster_id FROM {self.schema}.relay_state FOR UPDATE")
            if recorded == cluster and not force:
                return 0
            after = 0
            while True:
                rows = await conn.fetch(
                    f"SELECT seq, event_id, topic, key, payload, headers FROM {self.schema}.outbox "
                    "WHERE sent_at IS NOT NULL AND seq > $1 ORDER BY seq LIMIT $2", after, self.batch)
                if not rows:
                    break
                await self._send(rows)
                sent, after = sent + len(rows), rows[-1]["seq"]
            await conn.execute(
                f"UPDATE {self.schema}.relay_state SET cluster_id = $1, reseeded_at = CASE WHEN $2 > 0 "
                "THEN now() ELSE reseeded_at END, reseeded_rows = reseeded_rows + $2", cluster, sent)
        if recorded:
            log.warning("retained events published again", schema=self.schema, events=sent,
                        was=recorded, now=cluster, forced=force)
        _reseeded.add(sent, {"schema": self.schema})
        return sent

    async def _send(self, rows: Sequence[asyncpg.Record]) -> None:
        """Publish the rows in producer spans that continue the traces they were written in and say how
        long they waited in the outbox; each message carries its span's context."""
        spans = self._publish_spans(rows)
        carried: dict[int, list[tuple[str, bytes]]] = {}
        futures = []
        for r, span in zip(rows, spans, strict=True):
            headers = carried.get(id(span))
            if headers is None:
                headers = carried[id(span)] = kafka_headers(headers_of(span))
            futures.append(await self.producer.send(r["topic"], value=bytes(r["payload"]), key=bytes(r["key"]),
                                                    headers=headers))
            if r.get("waited") is not None:  # None: a re-seed
                _waited.record(float(r["waited"]), {"hub.outbox.schema": self.schema})
        results = await asyncio.gather(*futures, return_exceptions=True)
        sent = Counter(r["topic"] for r, x in zip(rows, results, strict=True) if not isinstance(x, BaseException))
        for topic, n in sent.items():
            _sent.add(n, {"messaging.system": "kafka", "messaging.destination.name": topic})
        failed = next((x for x in results if isinstance(x, BaseException)), None)
        for span in {id(s): s for s in spans}.values():
            if failed is not None:
                span.set_status(trace.Status(trace.StatusCode.ERROR, repr(failed)))
            span.end()
        if failed is not None:
            raise failed

    def _publish_spans(self, rows: Sequence[asyncpg.Record]) -> list[trace.Span]:
        """A span per row, except for many rows of one trace (a bulk import): those share one span."""
        groups: dict[str, list[int]] = {}
        for i, r in enumerate(rows):
            groups.setdefault((r["headers"] or {}).get("traceparent", ""), []).append(i)
        spans: list[trace.Span | None] = [None] * len(rows)
        for members in groups.values():
            first = rows[members[0]]
            if len(members) <= PER_ROW_SPANS:
                for i in members:
                    r = rows[i]
                    spans[i] = publish_span(r["topic"], r["headers"], self._attributes(r))
                continue
            topics = {rows[i]["topic"] for i in members}
            shared = publish_span(first["topic"] if len(topics) == 1 else "batch", first["headers"],
                                  {**self._attributes(first), "messaging.batch.message_count": len(members)})
            for i in members:
                spans[i] = shared
        return [s for s in spans if s is not None]

    def _attributes(self, r: asyncpg.Record) -> dict[str, Any]:
        waited = r.get("waited")
        return {"messaging.message.id": str(r["event_id"]), "hub.outbox.schema": self.schema,
                **({"hub.outbox.waited_s": float(waited)} if waited is not None else {})}

    async def publish_once(self) -> int:
        """One pass as the lanes take turns: a batch of the urgent lane and, if that left none behind, a batch
        of the rest. How many rows were sent."""
        urgent = await self._publish_lane(True) if self.urgent else 0
        return urgent if urgent == self.batch else urgent + await self._publish_lane(False)

    async def _publish_lane(self, urgent: bool) -> int:
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                f"SELECT seq, event_id, topic, key, payload, headers, "
                f"extract(epoch FROM clock_timestamp() - created_at) AS waited FROM {self.schema}.outbox "
                f"WHERE sent_at IS NULL AND {'topic = ANY($2::text[])' if urgent else 'topic <> ALL($2::text[])'} "
                "ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED",
                self.batch, self.urgent,
            )
            if not rows:
                return 0
            await self._send(rows)
            await conn.execute(
                f"UPDATE {self.schema}.outbox SET sent_at = now() WHERE seq = ANY($1::bigint[])",
                [r["seq"] for r in rows],
            )
        _published.add(len(rows), {"schema": self.schema})
        return len(rows)

    async def _purge_now_and_then(self) -> None:
        now = asyncio.get_running_loop().time()
        if now - self._purged >= PURGE_SECONDS:
            self._purged = now
            purged = await self.purge_sent()
            if purged:
                log.info("sent outbox rows past retention removed", schema=self.schema, rows=purged)

    async def purge_sent(self) -> int:
        async with self.pool.acquire() as conn:
            status = await conn.execute(
                f"DELETE FROM {self.schema}.outbox WHERE sent_at < now() - make_interval(secs => $1)",
                self.retention_hours * 3600.0,
            )
        return int(status.split()[-1])
