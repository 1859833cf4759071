"""The live projection loop: Kafka → archive + state + offsets in one transaction → outbox.

On start it rebuilds the in-memory facts from its own archive and seeks every
assigned partition to its own stored offset, so a crash at any instant neither
loses nor double-counts an event: whatever was not committed is read again, and
envelope ids already archived are skipped. An offset is kept with the cluster id
and a fingerprint of the record before it (`positions.py`, `hubkit.logident`): a
partition whose log is not the one the offset was read from is read again from its
beginning, at start and whenever the broker turns out to be another cluster while
running. If a commit fails the loop raises and is restarted from the database,
never from the half-applied memory.

A batch is scored (`_prepare`) while the previous one commits (`_commit`), so that
PostgreSQL's work overlaps Python's; commits stay one at a time and in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from contracts.fastdecode import DecodeError, decode
from hubkit import outbox
from hubkit.kafka import make_consumer, record_fetch, send_deadletter, too_large
from hubkit.logident import ClusterWatch, StoredPosition, fingerprint
from hubkit.service import ServiceHost
from hubkit.telemetry import get_logger, meter
from opentelemetry import trace

from scoring.domain.clock import month_of, to_datetime, to_instant
from scoring.domain.projection import Change, Projection
from scoring.domain.ruleset import Ruleset
from scoring.messaging import outputs, tracing
from scoring.messaging.positions import FACT_TOPICS, assign_fact_partitions, events_behind
from scoring.storage import alerts, archive, state

log = get_logger(__name__)
CONSUMER = "scoring.projection"
_events_in = meter().create_counter("hub.scoring.events", description="fact events folded into the projection")
_changes = meter().create_counter("hub.scoring.score_changes", description="published score changes")
# Between full collections the cyclic GC only looks at objects younger than the last batch.
FULL_COLLECT_SECONDS = 300.0
_STEP = 1000  # events decoded or folded between two chances for the previous batch's commit to proceed


@dataclass(frozen=True, slots=True)
class _Batch:
    """A scored batch waiting for its commit."""

    rows: list[archive.Archived]
    changes: list[Change]
    offsets: dict[tuple[str, int], StoredPosition]
    watermark: int | None  # after this batch (the next one may already have moved memory's on)
    removed: set[tuple[str, str]]  # unit-months no longer scored (exempt units)
    fresh: list[tuple[ConsumerRecord, Any]]  # the new events and their messages (for the alerts' traces)
    span: trace.Span  # the batch's, ended by its commit
    began: float  # perf_counter when it was fetched


class LiveProjector:
    def __init__(self, ruleset: Ruleset, *, max_batch: int = 20000) -> None:
        self.ruleset, self.max_batch = ruleset, max_batch
        self.topics = list(FACT_TOPICS)  # (a benchmark points the projector at topics of its own)
        self.projection = Projection(ruleset)
        self.archived: set[int] = set()  # ids (as ints) of every archived event
        self.position = 0
        self.derived: dict[str, tuple[Any, Any]] = {}  # readers' figures with the position they were read at
        self.offsets: dict[tuple[str, int], StoredPosition] = {}
        self.watch: ClusterWatch | None = None
        self.consumer: AIOKafkaConsumer | None = None
        self.max_message_bytes = 1024 * 1024
        self.name = CONSUMER
        self.resets = 0  # partitions read again from their beginning because their log was new
        self.ready = asyncio.Event()
        self._collected = time.monotonic()

    async def run(self, host: ServiceHost) -> None:
        self.ready.clear()
        await self._rebuild(host)
        await host.producer_ready.wait()
        consumer = make_consumer(
            host.settings,
            group_id=None,  # offsets live in our own database, so no group coordination is needed
            max_poll_records=self.max_batch,
            fetch_max_bytes=16 * 1024 * 1024,
            max_partition_fetch_bytes=4 * 1024 * 1024,
            fetch_max_wait_ms=20,  # an alert must not wait for a fuller fetch
        )
        self.consumer = consumer
        self.max_message_bytes = host.settings.kafka_max_message_bytes
        await consumer.start()
        await self._assign(consumer)
        self.ready.set()
        # One batch is scored while the previous one commits: the database works on the other core
        # meanwhile. Commits stay one at a time and in order; if one fails the loop raises, and the
        # restart rebuilds memory (ahead by up to two batches then) from the database.
        committing: asyncio.Task[None] | None = None
        try:
            while True:
                assert self.watch is not None
                if await self.watch.changed():  # the broker came back with a new log
                    await self._reread_all(consumer)
                messages = await self._next_batch(consumer)
                if not messages:
                    if committing is not None and committing.done():
                        done, committing = committing, None
                        done.result()  # raises if it failed
                    continue
                span = tracing.start_batch(messages)
                with trace.use_span(span, end_on_exit=False):
                    batch = await self._prepare(host, messages, span)
                if committing is not None:
                    await committing
                committing = asyncio.create_task(self._commit(host, batch))
        finally:
            if committing is not None and not committing.done():
                committing.cancel()
                with contextlib.suppress(BaseException):
                    await committing
            await consumer.stop()

    async def lag(self) -> int | None:
        """Events on the broker not yet committed with the state (None before partitions are assigned)."""
        return await self.caught_up(0.0)

    async def caught_up(self, timeout: float) -> int | None:
        """Wait (at most `timeout` s) until everything on the broker now is committed with the state; the
        events still behind then (0: caught up; None: not reading the broker yet)."""
        consumer = self.consumer
        if consumer is None or not consumer.assignment() or not self.ready.is_set():
            return None
        ends = await consumer.end_offsets(list(consumer.assignment()))
        deadline = time.monotonic() + timeout
        while (behind := events_behind(ends, self.offsets)) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return behind

    async def _assign(self, consumer: AIOKafkaConsumer) -> None:
        """Take every fact partition at the offset stored with the state, when it belongs to the log the
        broker has now (else from the partition's beginning); see positions.assign_fact_partitions."""
        assigned = await assign_fact_partitions(consumer, self.offsets, self.topics)
        self.watch = assigned.watch
        self.resets += assigned.reset

    async def _reread_all(self, consumer: AIOKafkaConsumer) -> None:
        """The broker is another cluster now: assign its partitions afresh (a new log may have other
        topics or partition counts) and read each from its beginning, as every stored offset names the
        old cluster. Ids already archived are skipped, so nothing counts twice and nothing is skipped."""
        log.warning("broker log is new: reading every partition again from the beginning")
        await self._assign(consumer)

    async def _next_batch(self, consumer: AIOKafkaConsumer) -> list[ConsumerRecord]:
        """Wait briefly for events, then take whatever else is already fetched, up to max_batch.

        Scores are re-evaluated once per batch, so under load bigger batches mean fewer
        evaluations per event; when idle a lone event still goes through at once.
        """
        batch = await consumer.getmany(timeout_ms=100, max_records=self.max_batch)
        record_fetch(CONSUMER, batch)
        messages = [m for records in batch.values() for m in records]
        while messages and len(messages) < self.max_batch:
            more = await consumer.getmany(timeout_ms=0, max_records=self.max_batch - len(messages))
            if not more:
                break
            record_fetch(CONSUMER, more)
            messages += [m for records in more.values() for m in records]
        return messages

    async def _rebuild(self, host: ServiceHost) -> None:
        """Memory ← archive: the same facts, the same published results, the same offsets."""
        self.projection = Projection(self.ruleset)
        self.archived.clear()
        self.position = 0
        with _cyclic_gc_paused():  # folding allocates millions of acyclic objects
            async for position, raw in archive.stream(host.pool):
                env = decode(raw)
                self.archived.add(env.id.int)
                self.projection.fold([env])
                self.position = position
        async with host.pool.acquire() as conn:
            self.offsets = await state.load_offsets(conn)
            keys = set(await state.published_keys(conn))
            # Memory starts with nothing published, so a stored row of a unit-month that is not scored
            # (exempt) would never be seen as withdrawn: the stored rows are made to agree here.
            stale = self.projection.unscored(keys)
            await state.remove_scores(conn, stale)
        self.projection.refresh(keys - stale)
        self.projection.stored.clear()  # what the rebuild evaluated was not stored: rows may differ
        self._settle_memory(full=True)
        log.info("projection rebuilt from archive", events=self.position, scores=len(keys))

    async def _prepare(self, host: ServiceHost, messages: list[ConsumerRecord], span: trace.Span) -> _Batch:
        """Decode, dedupe, fold and re-score a batch in memory (dead letters go out now)."""
        began = time.perf_counter()
        fresh: list[tuple[ConsumerRecord, Any]] = []
        last: dict[tuple[str, int], ConsumerRecord] = {}
        # Every so often the previous batch's commit may take its next step (it runs on the
        # database's core meanwhile).
        for n, msg in enumerate(messages, start=1):
            last[(msg.topic, msg.partition)] = msg
            if n % _STEP == 0:
                await asyncio.sleep(0)
            if reason := too_large(msg, self.max_message_bytes):
                await send_deadletter(host.producer, msg, reason, CONSUMER)
                continue
            try:
                env = decode(msg.value or b"")
            except DecodeError as exc:
                # Before the commit: a crash may send a dead letter twice, never lose one.
                await send_deadletter(host.producer, msg, f"invalid event: {exc}", CONSUMER)
                continue
            eid = env.id.int
            if eid in self.archived:
                continue
            self.archived.add(eid)
            fresh.append((msg, env))
        # The cluster the batch was fetched from is not known for sure when the broker changed in
        # between; the one known before is recorded, and a wrong one only makes a restart read again.
        cluster = self.watch.known if self.watch else None
        offsets = {key: StoredPosition(m.offset + 1, cluster, fingerprint(m.value)) for key, m in last.items()}
        with _cyclic_gc_paused():  # scoring allocates much and frees little: no GC pass in the middle
            before = (self.projection.watermark, self.projection.earliest)
            touched: set[tuple[str, str]] = set()
            for start in range(0, len(fresh), _STEP):
                await asyncio.sleep(0)
                touched |= self.projection.fold(env for _, env in fresh[start:start + _STEP])
            changes: list[Change] = []
            for part in self.projection.refreshing(touched, self.projection.months_to_sweep(*before)):
                changes += part
                await asyncio.sleep(0)
            rows: list[archive.Archived] = [
                (env.id, env.type, env.unit, env.occurred_at, msg.topic, msg.partition, msg.offset, msg.value or b"")
                for msg, env in fresh
            ]
        return _Batch(rows, changes, offsets, self.projection.watermark, self.projection.take_removed(), fresh, span,
                      began)

    async def _commit(self, host: ServiceHost, batch: _Batch) -> None:
        """Archive, scores, ledger, outbox, alerts, offsets and watermark in one transaction."""
        rows, changes, offsets, wm = batch.rows, batch.changes, batch.offsets, batch.watermark
        removed = batch.removed
        units = len({c.unit for c in changes})
        try:
            with _cyclic_gc_paused(), tracing.committing(batch.span, batch.began, len(rows), units):
                async with host.pool.acquire() as conn, conn.transaction():
                    await archive.lock(conn)
                    position = await archive.append(conn, rows)
                    as_of = to_datetime(wm) if wm is not None else None
                    if as_of is not None and changes:
                        await state.save_changes(
                            conn,
                            changes,
                            ruleset=self.ruleset.id,
                            version=self.ruleset.version,
                            as_of=as_of,
                            position=position,
                        )
                        published = outputs.build(
                            changes, self.projection.deduction_items, self.ruleset, as_of, position
                        )
                        traces = tracing.alert_traces(published.alerts, batch.fresh)
                        await outbox.add_encoded(conn, "scoring", published.outbox, traces)
                        await alerts.record(conn, published.alerts, traces)
                    await state.remove_scores(conn, removed)
                    await state.save_offsets(conn, offsets)
                    await state.save_state(
                        conn, watermark=wm, position=position, ruleset=self.ruleset.id, version=self.ruleset.version
                    )
        except BaseException:
            self.ready.clear()  # memory is ahead of the database now: the restart rebuilds it
            raise
        self.position = position  # committed: what the API and the month close may rely on
        self.offsets.update(offsets)
        _events_in.add(len(rows))
        _changes.add(sum(1 for c in changes if c.score_moved))
        self._settle_memory()

    def _settle_memory(self, *, full: bool = False) -> None:
        """What a batch leaves behind is long-lived (facts, scores, the archived ids) and is frozen
        when the batch is done (_cyclic_gc_paused), so that the cyclic GC stops re-scanning a heap
        that only grows. Every few minutes everything is unfrozen and collected once, so cyclic
        garbage that was frozen while still alive is still freed."""
        now = time.monotonic()
        if full or now - self._collected >= FULL_COLLECT_SECONDS:
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            self._collected = now


_paused = 0


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """No cyclic GC pass while scoring or storing a batch (they allocate much and free little);
    nests, as the scoring of one batch and the commit of the previous one interleave."""
    global _paused
    _paused += 1
    if _paused == 1:
        gc.disable()
    try:
        yield
    finally:
        _paused -= 1
        if _paused == 0:
            # What the batch allocated is mostly long-lived facts and results: freeze it before the
            # collector is back, or its first young pass walks all of it (ms per batch).
            gc.freeze()
            gc.enable()


def current_month(projector: LiveProjector) -> str | None:
    wm = projector.projection.watermark
    return month_of(wm) if wm is not None else None


__all__ = ["FACT_TOPICS", "LiveProjector", "current_month", "to_instant"]
