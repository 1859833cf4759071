"""The live projection loop: Kafka → archive + state + offsets in one transaction → outbox.

On start it rebuilds the in-memory facts from its archive rows (`warm.py`) and seeks every assigned partition
to its stored offset, so a crash at any instant neither loses nor double-counts an event: whatever was not
committed is read again, and envelope ids already archived are skipped. An offset is kept with the cluster id
and a fingerprint of the record before it (`positions.py`, `hubkit.logident`): a partition whose log is not the
one the offset was read from is read again from its beginning, at start and whenever the broker turns out to be
another cluster while running. If a commit fails the loop raises and is restarted from the database, never from
the half-applied memory. One instance projects a shard, committing on the connection that holds it; another
instance of the shard waits as a standby (`lease.py`).

A batch is scored (`_prepare`) while the previous one commits (`_commit`), so that
PostgreSQL's work overlaps Python's; commits stay one at a time and in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from contracts import ROUTED_TOPIC
from hubkit.kafka import send_deadletter
from hubkit.logident import ClusterWatch, StoredPosition, fingerprint
from hubkit.outbox import EncodedRow
from hubkit.service import ServiceHost
from hubkit.telemetry import get_logger, meter
from opentelemetry import trace

from scoring.domain.clock import Instant
from scoring.domain.facts import EnvelopeLike
from scoring.domain.projection import Change, Projection
from scoring.domain.ruleset import Ruleset
from scoring.domain.sharding import History
from scoring.gcpause import MemorySettler, cyclic_gc_paused
from scoring.messaging import batches, close_rounds, forwarding, tracing
from scoring.messaging.admission import admit
from scoring.messaging.fetching import next_batch, projection_consumer
from scoring.messaging.lease import ShardLease
from scoring.messaging.positions import FACT_TOPICS, assign_fact_partitions, events_behind
from scoring.messaging.shard_activity import ActivityShare
from scoring.messaging.shards import ShardPlan, plan
from scoring.messaging.stillness import Stillness
from scoring.messaging.warm import FOLLOW_STEP, WarmMemory
from scoring.storage import archive, state

log = get_logger(__name__)
CONSUMER = "scoring.projection"
_events_in = meter().create_counter("hub.scoring.events", description="fact events folded into the projection")
_changes = meter().create_counter("hub.scoring.score_changes", description="published score changes")
FRAME_POLL_SECONDS = 1.0  # how often an idle shard looks whether the others' time frame moved on
_STEP = 1000  # events decoded or folded between two chances for the previous batch's commit to proceed


class LiveProjector:
    def __init__(self, ruleset: Ruleset, *, max_batch: int = 20000, shards: int = 1, shard: int = 0) -> None:
        self.ruleset, self.max_batch = ruleset, max_batch
        self.shard_count, self.shard_index = shards, shard
        self.plan = ShardPlan(1, 0, 1)  # known once the broker tells the partition counts
        self.counties = forwarding.CountyCities()
        self.share = ActivityShare()  # this shard's part of the dashboards' figures (several shards only)
        self.peer_frame: tuple[Instant | None, Instant | None] = (None, None)  # all shards' committed frame
        self._frame_checked = 0.0
        # (a benchmark points the projector at topics of its own)
        self.topics, self.routed_topic = list(FACT_TOPICS), ROUTED_TOPIC
        self.projection = Projection(ruleset)
        self.position = 0
        self.derived: dict[str, tuple[Any, Any]] = {}  # readers' figures with the position they were read at
        self.offsets: dict[tuple[str, int], StoredPosition] = {}
        self.watch: ClusterWatch | None = None
        self.consumer: AIOKafkaConsumer | None = None
        self.max_message_bytes, self.name = 1024 * 1024, CONSUMER
        self.resets = 0  # partitions read again from their beginning because their log was new
        self.ready = asyncio.Event()
        self.memory, self.stillness = MemorySettler(), Stillness()  # stillness: a month's close (stillness.py)
        self.lease = ShardLease()  # one instance projects a shard; another instance of it waits (messaging/lease.py)
        self.warm: WarmMemory | None = None  # what a standby folds of the archive while it waits (warm.py)
        self.rebuilt_from = 0  # the archive position memory had been folded to ahead of the last start

    def readiness(self) -> str:
        """What /ready says of the projection: its memory is what the API reads."""
        if self.ready.is_set():
            return "ok"
        if self.lease.standby_for:
            followed = self.warm.position if self.warm else 0
            return f"standby: another instance projects {self.lease.standby_for}; archive followed to {followed}"
        return "starting: rebuilding memory from the archive"

    async def run(self, host: ServiceHost) -> None:
        self.ready.clear()
        await host.producer_ready.wait()
        self.consumer = consumer = projection_consumer(host.settings, self.max_batch)
        self.max_message_bytes = host.settings.kafka_max_message_bytes
        await consumer.start()
        try:
            self.plan = await plan(consumer, self.shard_count, self.shard_index, self.topics, self.routed_topic)
            self.warm = warm = WarmMemory(self.ruleset, self.plan.shards.owns if self.plan.count > 1 else None,
                                          self.plan.index)
            async with self.lease.held(host.pool, self.shard_index, self.shard_count,
                                       lambda: warm.follow(host.pool, FOLLOW_STEP)):
                await self._rebuild(host, warm)
                await self._assign(consumer)
                await self._share_activity(host, force=True)
                self.ready.set()
                async with close_rounds.taking_part(self, host.pool):  # a sharded month close (close_rounds.py)
                    await self._project(host, consumer)
        finally:
            self.ready.clear()
            await consumer.stop()

    async def _project(self, host: ServiceHost, consumer: AIOKafkaConsumer) -> None:
        # One batch is scored while the previous one commits: the database works on the other core
        # meanwhile. Commits stay one at a time and in order; if one fails the loop raises, and the
        # restart rebuilds memory (ahead by up to two batches then) from the database.
        committing: asyncio.Task[None] | None = None
        try:
            while True:
                await self.stillness.checkpoint(committing)  # memory = the archive up to position, while held
                assert self.watch is not None
                if await self.watch.changed():  # the broker came back with a new log
                    await self._reread_all(consumer)
                messages = await next_batch(consumer, self.max_batch, CONSUMER)
                if not messages:
                    if committing is not None and committing.done():
                        done, committing = committing, None
                        done.result()  # raises if it failed
                    if committing is None:
                        await self._share_activity(host)
                    if committing is not None or not await self._others_moved_on(host):
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

    async def _others_moved_on(self, host: ServiceHost) -> bool:
        """An idle shard still scores at the time the others have reached: whether their committed frame
        moved beyond memory's (asked every FRAME_POLL_SECONDS; never with one shard)."""
        if self.plan.count == 1 or time.monotonic() - self._frame_checked < FRAME_POLL_SECONDS:
            return False
        self._frame_checked = time.monotonic()
        async with host.pool.acquire() as conn:
            self.peer_frame = await state.frame(conn)
        wm, earliest = self.peer_frame
        p = self.projection
        return (wm is not None and (p.watermark is None or wm > p.watermark)) or \
            (earliest is not None and p.earliest is not None and earliest < p.earliest)

    async def _assign(self, consumer: AIOKafkaConsumer) -> None:
        """Take every fact partition (of this shard) at the offset stored with the state, when it belongs to the
        log the broker has now (else from the partition's beginning); see positions.assign_fact_partitions."""
        topics = self.topics if self.plan.count == 1 else [*self.topics, self.plan.routed_topic]
        assigned = await assign_fact_partitions(consumer, self.offsets, topics, self.plan.reads)
        self.watch = assigned.watch
        self.resets += assigned.reset

    async def _reread_all(self, consumer: AIOKafkaConsumer) -> None:
        """The broker is another cluster now: assign its partitions afresh (a new log may have other
        topics or partition counts) and read each from its beginning, as every stored offset names the
        old cluster. Ids already archived are skipped, so nothing counts twice and nothing is skipped."""
        log.warning("broker log is new: reading every partition again from the beginning")
        await self._assign(consumer)

    async def _rebuild(self, host: ServiceHost, warm: WarmMemory | None = None) -> None:
        """Memory ← archive (this shard's rows): the same facts, the same published results, the same offsets.
        Built aside (`warm`: as far as a standby folded it while it waited), shown to readers whole: else they
        would see an exemption before its results are withdrawn."""
        shard, owns = self.plan.index, (self.plan.shards.owns if self.plan.count > 1 else None)
        warm = warm or WarmMemory(self.ruleset, owns, shard)
        # Meanwhile readers see an empty memory (its position 0), and a memory left by a failed commit is let go.
        self.projection, self.position, self.derived = Projection(self.ruleset, owns), 0, {}
        self.rebuilt_from = warm.position
        await warm.follow(host.pool)  # the rest of the archive
        projection, folded = warm.projection, warm.position
        conn = self.lease.connection
        async with conn.transaction():
            if counts := await state.shard_counts(conn) - {self.plan.count}:
                raise RuntimeError(f"the projection state was written by {sorted(counts)} shard(s) and this one runs "
                                   f"with HUB_SHARDS={self.plan.count}: stop them all and run `hub-scoring reshard N`")
            self.offsets = await state.load_offsets(conn, shard)
            rows = {k: r for k, r in (await state.published_rows(conn)).items() if owns is None or owns(k[0])}
            keys = set(rows)
            self.peer_frame = await state.frame(conn)
            # Memory starts with nothing published, so a stored row of a unit-month that is not scored
            # (exempt) would never be seen as withdrawn: the stored rows are made to agree here.
            stale = projection.unscored(keys)
            await state.remove_scores(conn, stale)
        if owns is not None:
            self.counties.remember(projection.store.directory, owns)
        # The stored rows were scored in the time frame all shards had reached, maybe beyond this shard's own events:
        # so is memory (the months the frame moved over get every unit's score, as when a batch adopts it).
        own = (projection.watermark, projection.earliest)
        projection.adopt(*self.peer_frame)
        new: list[Change] = []
        for part in projection.refreshing(keys - stale, projection.months_to_sweep(*own)):  # a province's year:
            new += [c for c in part if (c.unit, c.month) not in rows]  # seconds of work, in parts: requests are
            await asyncio.sleep(0)  # answered meanwhile (from the memory before)
        projection.stored.clear()  # what the rebuild evaluated was not stored: rows may differ
        if (disagreeing := projection.disagreeing(rows) + new) and projection.watermark is not None:
            async with conn.transaction():  # (a row no later fold would correct: Projection.disagreeing)
                await batches.store_changes(conn, disagreeing, projection.deduction_items, self.ruleset,
                                            projection.watermark, folded)
        # Together: readers keep figures by position, which must never name the memory before.
        self.projection, self.position, self.derived = projection, folded, {}
        self.memory.settle(full=True)
        log.info("projection rebuilt from archive", events=self.position, followed_before=self.rebuilt_from,
                 scores=len(keys))

    async def _prepare(self, host: ServiceHost, messages: list[ConsumerRecord], span: trace.Span) -> batches.Batch:
        """Decode, dedupe, fold and re-score a batch in memory (dead letters go out now)."""
        began = time.perf_counter()
        fresh, offsets = await self._fresh(host, messages)
        with cyclic_gc_paused():  # scoring allocates much and frees little: no GC pass in the middle
            p = self.projection
            before = (p.watermark, p.earliest)
            p.adopt(*self.peer_frame)  # the time the other shards have reached (none with one shard)
            touched: set[tuple[str, str]] = set()
            # What each event moves is only wanted to route it to other shards (none with one shard).
            applied: list[tuple[EnvelopeLike, set[str]]] | None = [] if self.plan.count > 1 else None
            for start in range(0, len(fresh), _STEP):
                await asyncio.sleep(0)
                touched |= p.fold((env for _, env in fresh[start:start + _STEP]), applied)
            changes: list[Change] = []
            for part in p.refreshing(touched, p.months_to_sweep(*before)):
                changes += part
                await asyncio.sleep(0)
            about = {env.id.int: sorted(others) for env, units in applied or () if (others := units - {env.unit})}
            rows: list[archive.Archived] = [
                (env.id, env.type, env.unit, env.occurred_at, msg.topic, msg.partition, msg.offset, msg.value or b"",
                 about.get(env.id.int)) for msg, env in fresh]
            routed, histories = self._forwards(fresh, applied or [])
        return batches.Batch(rows, changes, offsets, p.watermark, p.earliest, routed, histories, p.take_removed(),
                             fresh, span, began)

    async def _fresh(self, host: ServiceHost, messages: list[ConsumerRecord]) -> tuple[
            list[tuple[ConsumerRecord, Any]], dict[tuple[str, int], StoredPosition]]:
        """The batch's events not archived before, with the offsets after it; dead letters go out now."""
        fresh: list[tuple[ConsumerRecord, Any]] = []
        last: dict[tuple[str, int], ConsumerRecord] = {}
        archived, taken = self.projection.store.seen, set()  # the ids memory folded (= archived), this batch's
        # Every so often the previous batch's commit may take its next step (it runs on the
        # database's core meanwhile).
        for n, msg in enumerate(messages, start=1):
            last[(msg.topic, msg.partition)] = msg
            if n % _STEP == 0:
                await asyncio.sleep(0)
            env, reason = admit(msg, self.max_message_bytes, self.plan.routed_topic)
            if reason is not None:
                # Before the commit: a crash may send a dead letter twice, never lose one.
                await send_deadletter(host.producer, msg, reason, CONSUMER)
                continue
            eid = env.id.int
            if eid in archived or eid in taken:
                continue
            taken.add(eid)
            fresh.append((msg, env))
        # The cluster the batch was fetched from is not known for sure when the broker changed in
        # between; the one known before is recorded, and a wrong one only makes a restart read again.
        cluster = self.watch.known if self.watch else None
        return fresh, {key: StoredPosition(m.offset + 1, cluster, fingerprint(m.value)) for key, m in last.items()}

    def _forwards(self, fresh: list[tuple[ConsumerRecord, Any]],
                  applied: list[tuple[EnvelopeLike, set[str]]]) -> tuple[list[EncodedRow], list[History]]:
        """What this shard sends the others with the batch (nothing with one shard)."""
        if self.plan.count == 1:
            return [], []
        forwarded = {env.id.int for msg, env in fresh if msg.topic == self.plan.routed_topic}
        routes, histories = self.plan.shards.forwarding(applied, self.projection.store.directory, forwarded)
        raw_of = {env.id.int: msg.value or b"" for msg, env in fresh}
        return forwarding.route_rows(routes, raw_of, self.plan), self.counties.due(histories)

    async def _commit(self, host: ServiceHost, batch: batches.Batch) -> None:
        """Archive, scores, ledger, outbox, alerts, offsets and watermark in one transaction."""
        units = len({c.unit for c in batch.changes})
        try:
            with cyclic_gc_paused(), tracing.committing(batch.span, batch.began, len(batch.rows), units):
                conn = self.lease.connection
                async with conn.transaction():
                    position = await batches.store(conn, batch, self.projection.deduction_items, self.ruleset,
                                                   self.plan)
                    if self.plan.count > 1:
                        self.peer_frame = await state.frame(conn)
        except BaseException:
            self.ready.clear()  # memory is ahead of the database now: the restart rebuilds it
            raise
        self.position = position  # committed: what the API and the month close may rely on
        self.offsets.update(batch.offsets)
        _events_in.add(len(batch.rows))
        _changes.add(sum(1 for c in batch.changes if c.score_moved))
        self.memory.settle()
        self.share.committed(batches.earliest_event(batch))
        await self._share_activity(host)

    async def _share_activity(self, host: ServiceHost, *, force: bool = False) -> None:
        if self.plan.count > 1:
            await self.share.share(host.pool, self.projection, self.plan.index, self.plan.shards.owns, force=force)


__all__ = ["FACT_TOPICS", "LiveProjector"]
