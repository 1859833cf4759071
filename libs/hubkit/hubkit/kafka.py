"""Kafka wiring shared by every service: producer, topics, idempotent consumer, dead letters.

`IdempotentConsumer` applies each envelope in its own database transaction
together with an inbox row keyed on (consumer, envelope id): a redelivered or
duplicated event changes nothing. Offsets are committed only after the batch is
applied. A message that cannot be decoded or validated, or that the handler
rejects as invalid, goes to `hub.deadletter.v1` with the reason and the original
bytes, and the consumer carries on. Any other error is retried from the same
offset after a pause, so a database outage loses nothing. A group without committed
offsets starts from the earliest; when the broker turns out to be another cluster (its
log lost and begun anew, group offsets with it), the consumer reads its partitions again
from their beginning, so nothing published to the new log is skipped.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime

import asyncpg
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import CommitFailedError, TopicAlreadyExistsError
from contracts import ALL_TOPICS, DEADLETTER_TOPIC, ROUTED_TOPIC, ContractError, Envelope, decode
from opentelemetry import trace

from .db import check_schema_name
from .logident import ClusterWatch
from .settings import HubSettings
from .telemetry import context_from_kafka, get_logger, meter, tracer

log = get_logger(__name__)
_consumed = meter().create_counter("hub.events.consumed", description="events applied by consumers")
_deadlettered = meter().create_counter("hub.events.deadlettered", description="messages sent to the dead-letter topic")
# OpenTelemetry semantic conventions for messaging: messages a consumer took, per destination
_received = meter().create_counter("messaging.client.consumed.messages", unit="{message}",
                                   description="messages consumers received from the broker")


def record_fetch(name: str, batch: dict[TopicPartition, list[ConsumerRecord]]) -> None:
    """Count what a fetch brought, per topic (the consumers' lag is the ops gauge `hub.consumer.lag`)."""
    for tp, messages in batch.items():
        _received.add(len(messages), {"messaging.system": "kafka", "messaging.destination.name": tp.topic,
                                      "messaging.consumer.group.name": f"hub-{name}"})


class Rejected(Exception):
    """A handler's verdict that an event is invalid for this consumer: dead-letter it, do not retry."""


Handler = Callable[[asyncpg.Connection, Envelope], Awaitable[None]]


# A dead letter carries the original bytes up to this size; a larger original is named by its size
# and digest and re-driven from its own topic (the letter itself must stay under the broker's limit).
EMBED_ORIGINAL_BYTES = 256 * 1024
REDRIVE_HEADER = "hub-redrive-of"


def connection_options(settings: HubSettings) -> dict[str, object]:
    """Bootstrap servers and, on an authenticated broker, the SASL principal and password."""
    options: dict[str, object] = {"bootstrap_servers": settings.kafka_bootstrap,
                                  "security_protocol": settings.kafka_security_protocol}
    if settings.kafka_security_protocol != "PLAINTEXT":
        options.update(sasl_mechanism=settings.kafka_sasl_mechanism, sasl_plain_username=settings.kafka_username,
                       sasl_plain_password=settings.kafka_password.get_secret_value() if settings.kafka_password
                       else None)
    return options


def make_admin(settings: HubSettings) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(**connection_options(settings), request_timeout_ms=10_000)


def make_consumer(settings: HubSettings, *topics: str, **overrides: object) -> AIOKafkaConsumer:
    """A consumer with the hub's connection settings; callers add group, offsets and batching."""
    options: dict[str, object] = {**connection_options(settings), "enable_auto_commit": False,
                                  "auto_offset_reset": "earliest", "client_id": "gov-hub"}
    options.update(overrides)
    return AIOKafkaConsumer(*topics, **options)


def make_producer(settings: HubSettings, **overrides: object) -> AIOKafkaProducer:
    options: dict[str, object] = {
        **connection_options(settings),
        "acks": "all",
        "enable_idempotence": settings.kafka_idempotent,
        "linger_ms": 2,
        # A partition's batch holds up to 256 KiB, not 16: a relay pass of 500 rows filled a 16 KiB batch every
        # ~25 events, and each full batch made the next send wait for it to drain (27 µs an event; 9 µs now,
        # and the relay's rate +20 %).
        "max_batch_size": 256 * 1024,
        "request_timeout_ms": 10_000,
        "client_id": "gov-hub",
    }
    options.update(overrides)
    return AIOKafkaProducer(**options)


async def ensure_topics(bootstrap: str, topics: Iterable[str] | None = None, partitions: int = 6,
                        settings: HubSettings | None = None) -> list[str]:
    """Create missing topics (every contract topic and the dead-letter topic by default); on an
    authenticated broker `settings` carry the admin principal."""
    from .revocations import TOPIC as REVOCATIONS

    wanted = sorted(set(topics if topics is not None else [*ALL_TOPICS, DEADLETTER_TOPIC, REVOCATIONS, ROUTED_TOPIC]))
    admin = make_admin((settings or HubSettings()).model_copy(update={"kafka_bootstrap": bootstrap}))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in wanted if t not in existing]
        if missing:
            try:
                await admin.create_topics([NewTopic(t, partitions, 1) for t in missing])
            except TopicAlreadyExistsError:
                pass
        return missing
    finally:
        await admin.close()


def deadletter_record(msg: ConsumerRecord, reason: str, consumer: str) -> bytes:
    value = msg.value or b""
    embed = len(value) <= EMBED_ORIGINAL_BYTES
    redrive_of = next((v.decode(errors="replace") for k, v in (msg.headers or ()) if k == REDRIVE_HEADER), None)
    return orjson.dumps({
        "reason": reason,
        "consumer": consumer,
        "topic": msg.topic,
        "partition": msg.partition,
        "offset": msg.offset,
        "key": msg.key.decode(errors="replace") if msg.key else None,
        "original_b64": base64.b64encode(value).decode() if embed else None,
        "original_size": len(value),
        "original_sha256": hashlib.sha256(value).hexdigest(),
        "redrive_of": redrive_of,  # a re-driven message that failed again names the letter it came from
        "failed_at": datetime.now(UTC).isoformat(),
    })


def too_large(msg: ConsumerRecord, limit: int) -> str | None:
    """The dead-letter reason for a message over the configured size, else None."""
    size = len(msg.value or b"")
    return f"message of {size} bytes exceeds the limit of {limit} bytes" if size > limit else None


async def send_deadletter(producer: AIOKafkaProducer, msg: ConsumerRecord, reason: str, consumer: str) -> None:
    await producer.send_and_wait(
        DEADLETTER_TOPIC, value=deadletter_record(msg, reason, consumer), key=msg.key,
        headers=[("hub-deadletter-reason", reason[:500].encode()), ("hub-consumer", consumer.encode())],
    )
    _deadlettered.add(1, {"consumer": consumer})
    log.warning("dead-lettered", consumer=consumer, topic=msg.topic, offset=msg.offset, reason=reason)


class IdempotentConsumer:
    def __init__(
        self, *, settings: HubSettings, pool: asyncpg.Pool, schema: str, name: str,
        topics: list[str], handler: Handler, producer: AIOKafkaProducer,
    ) -> None:
        self.settings, self.pool, self.schema = settings, pool, check_schema_name(schema)
        self.name, self.topics, self.handler, self.producer = name, topics, handler, producer
        self.consumer: AIOKafkaConsumer | None = None
        self.last_progress = time.monotonic()
        # Set by the host as it stops. Cancelling alone is not enough: on Python 3.11 `asyncio.wait_for`
        # (inside asyncpg) can swallow a cancellation, and a consumer left retrying on the closed pool
        # keeps its group membership and its partitions: no other member of the group gets them.
        self.stopping = False

    async def run(self) -> None:
        self.consumer = make_consumer(self.settings, *self.topics, group_id=f"hub-{self.name}", max_poll_records=500)
        try:
            # Inside the try: start() waits for the group's first assignment, and a service stopped while
            # it waits would otherwise leave a member that keeps heartbeating and holds partitions it never
            # reads: events on them would wait for the process to end.
            await self.consumer.start()
            watch = ClusterWatch(self.consumer._client)
            await watch.current()
            while not self.stopping:
                # Asked only with partitions to seek: a change seen while the group is rejoining (no
                # assignment yet, typical right after the broker came back) would be used up unacted.
                if self.consumer.assignment() and await watch.changed():
                    await self.consumer.seek_to_beginning(*self.consumer.assignment())
                    log.warning("broker log is new: reading again from the beginning", consumer=self.name)
                batch = await self.consumer.getmany(timeout_ms=500, max_records=500)
                record_fetch(self.name, batch)
                for tp, messages in batch.items():
                    await self._apply_partition(tp, messages)
                if batch:
                    await self._commit(self.consumer)
                self.last_progress = time.monotonic()
        finally:
            # Shielded: a second cancellation (hubkit.tasks.finish) must not cut the group's leave short,
            # or the next member waits out the session timeout before it gets the partitions.
            await asyncio.shield(self.consumer.stop())

    async def _commit(self, consumer: AIOKafkaConsumer) -> None:
        try:
            await consumer.commit()
        except CommitFailedError as exc:
            # The group rebalanced under this batch (a member came or went, or the broker came back with a
            # new log and forgot the generation). The batch is applied and in the inbox: whoever owns the
            # partitions next starts from the last commit and skips what it re-reads. Letting the error end
            # the loop would stop this consumer for good wherever nothing restarts it.
            log.warning("offsets not committed: the group rebalanced; re-read events are skipped by the inbox",
                        consumer=self.name, error=repr(exc.__cause__ or exc))

    async def _apply_partition(self, tp: TopicPartition, messages: list[ConsumerRecord]) -> None:
        for msg in messages:
            while True:
                try:
                    await self._apply(msg)
                    break
                except (asyncpg.PostgresConnectionError, OSError, asyncpg.InterfaceError) as exc:
                    if self.stopping:  # the pool is closing under us: the event stays uncommitted for the next run
                        raise
                    log.warning("consumer cannot apply event; retrying", consumer=self.name, error=repr(exc))
                    await asyncio.sleep(1.0)

    async def lag(self) -> int | None:
        """Events on the broker this consumer has not applied yet (None before it has partitions)."""
        consumer = self.consumer
        if consumer is None or not consumer.assignment():
            return None
        partitions = list(consumer.assignment())
        ends = await consumer.end_offsets(partitions)
        positions = [await consumer.position(tp) for tp in partitions]
        return sum(max(0, ends[tp] - pos) for tp, pos in zip(partitions, positions, strict=True))

    async def _apply(self, msg: ConsumerRecord) -> None:
        if reason := too_large(msg, self.settings.kafka_max_message_bytes):
            await send_deadletter(self.producer, msg, reason, self.name)
            return
        try:
            envelope = decode(msg.value or b"")
        except ContractError as exc:
            await send_deadletter(self.producer, msg, f"invalid event: {exc}", self.name)
            return
        with tracer().start_as_current_span(
            f"consume {msg.topic}", context=context_from_kafka(msg.headers), kind=trace.SpanKind.CONSUMER,
            attributes={"messaging.system": "kafka", "messaging.destination.name": msg.topic,
                        "messaging.message.id": str(envelope.id), "hub.consumer": self.name},
        ):
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    first = await conn.fetchval(
                        f"INSERT INTO {self.schema}.inbox (consumer, event_id) VALUES ($1, $2) "
                        "ON CONFLICT DO NOTHING RETURNING true",
                        self.name, envelope.id,
                    )
                    if first:
                        await self.handler(conn, envelope)
            except Rejected as exc:
                await send_deadletter(self.producer, msg, f"rejected by {self.name}: {exc}", self.name)
                return
        _consumed.add(1, {"consumer": self.name, "type": envelope.type})
