"""The live projection loop: Kafka → archive + state + offsets in one transaction → outbox.

On start it rebuilds the in-memory facts from its own archive and seeks every
assigned partition to its own stored offset, so a crash at any instant neither
loses nor double-counts an event: whatever was not committed is read again, and
envelope ids already archived are skipped. If a commit fails the loop raises and
is restarted from the database, never from the half-applied memory.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from contracts import Envelope, new_envelope, topic_for
from contracts.scoring import DeductionAlerted, ScoreChanged
from hubkit import outbox
from hubkit.kafka import send_deadletter
from hubkit.service import ServiceHost
from hubkit.telemetry import get_logger, meter

from scoring.domain.clock import month_of, to_datetime, to_instant
from scoring.domain.fastdecode import PAYLOADS, DecodeError, decode
from scoring.domain.projection import Change, Projection
from scoring.domain.ruleset import Ruleset
from scoring.storage import archive, state

log = get_logger(__name__)
FACT_TOPICS = sorted(topic_for(t) for t in PAYLOADS)
CONSUMER = "scoring.projection"
_events_in = meter().create_counter("hub.scoring.events", description="fact events folded into the projection")
_changes = meter().create_counter("hub.scoring.score_changes", description="published score changes")


class LiveProjector:
    def __init__(self, ruleset: Ruleset, *, max_batch: int = 5000) -> None:
        self.ruleset, self.max_batch = ruleset, max_batch
        self.projection = Projection(ruleset)
        self.archived: set[Any] = set()
        self.position = 0
        self.offsets: dict[tuple[str, int], int] = {}
        self.ready = asyncio.Event()

    async def run(self, host: ServiceHost) -> None:
        self.ready.clear()
        await self._rebuild(host)
        await host.producer_ready.wait()
        consumer = AIOKafkaConsumer(
            bootstrap_servers=host.settings.kafka_bootstrap,
            group_id=None,  # offsets live in our own database, so no group coordination is needed
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.max_batch,
            fetch_max_bytes=16 * 1024 * 1024,
            max_partition_fetch_bytes=4 * 1024 * 1024,
            fetch_max_wait_ms=20,  # an alert must not wait for a fuller fetch
        )
        await consumer.start()
        await self._assign(consumer)
        self.ready.set()
        try:
            while True:
                messages = await self._next_batch(consumer)
                if messages:
                    await self._apply(host, messages)
        finally:
            await consumer.stop()

    async def _assign(self, consumer: AIOKafkaConsumer) -> None:
        """Take every partition of every fact topic and seek each to the offset stored with the state.

        One instance owns all partitions: its memory holds every unit's facts (attributions cross
        units). Without a consumer group a killed instance leaves no stale member behind to wait for.
        """
        await consumer.topics()  # loads the cluster metadata
        partitions = [TopicPartition(topic, p) for topic in FACT_TOPICS
                      for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        for tp in partitions:
            stored = self.offsets.get((tp.topic, tp.partition))
            if stored is None:
                await consumer.seek_to_beginning(tp)
            else:
                consumer.seek(tp, stored)

    async def _next_batch(self, consumer: AIOKafkaConsumer) -> list[ConsumerRecord]:
        """Wait briefly for events, then take whatever else is already fetched, up to max_batch.

        Scores are re-evaluated once per batch, so under load bigger batches mean fewer
        evaluations per event; when idle a lone event still goes through at once.
        """
        batch = await consumer.getmany(timeout_ms=100, max_records=self.max_batch)
        messages = [m for records in batch.values() for m in records]
        while messages and len(messages) < self.max_batch:
            more = await consumer.getmany(timeout_ms=0, max_records=self.max_batch - len(messages))
            if not more:
                break
            messages += [m for records in more.values() for m in records]
        return messages

    async def _rebuild(self, host: ServiceHost) -> None:
        """Memory ← archive: the same facts, the same published results, the same offsets."""
        self.projection = Projection(self.ruleset)
        self.archived.clear()
        self.position = 0
        async for position, raw in archive.stream(host.pool):
            env = decode(raw)
            self.archived.add(env.id)
            self.projection.fold([env])
            self.position = position
        async with host.pool.acquire() as conn:
            self.offsets = await state.load_offsets(conn)
            keys = await state.published_keys(conn)
        self.projection.refresh({k for k in keys})
        log.info("projection rebuilt from archive", events=self.position, scores=len(keys))

    async def _apply(self, host: ServiceHost, messages: list[ConsumerRecord]) -> None:
        fresh: list[tuple[ConsumerRecord, Any]] = []
        offsets: dict[tuple[str, int], int] = {}
        for msg in messages:
            offsets[(msg.topic, msg.partition)] = msg.offset + 1
            try:
                env = decode(msg.value or b"")
            except DecodeError as exc:
                # Before the commit: a crash may send a dead letter twice, never lose one.
                await send_deadletter(host.producer, msg, f"invalid event: {exc}", CONSUMER)
                continue
            if env.id in self.archived:
                continue
            self.archived.add(env.id)
            fresh.append((msg, env))
        before = self.projection.watermark
        touched = self.projection.fold(env for _, env in fresh)
        changes = self.projection.refresh(touched, self.projection.months_to_sweep(before))
        rows = [
            archive.Archived(
                env.id, env.type, env.unit, env.occurred_at, msg.topic, msg.partition, msg.offset, msg.value or b""
            )
            for msg, env in fresh
        ]
        try:
            async with host.pool.acquire() as conn, conn.transaction():
                await archive.lock(conn)
                self.position = await archive.append(conn, rows)
                wm = self.projection.watermark
                as_of = to_datetime(wm) if wm is not None else None
                if as_of is not None and changes:
                    await state.save_changes(
                        conn,
                        changes,
                        ruleset=self.ruleset.id,
                        version=self.ruleset.version,
                        as_of=as_of,
                        position=self.position,
                    )
                    events = self._output_events(changes, as_of)
                    await outbox.add(conn, "scoring", events)
                    await _record_alerts(conn, events)
                await state.save_offsets(conn, offsets)
                await state.save_state(
                    conn, watermark=wm, position=self.position, ruleset=self.ruleset.id, version=self.ruleset.version
                )
        except BaseException:
            self.ready.clear()  # memory is ahead of the database now: the restart rebuilds it
            raise
        self.offsets.update(offsets)
        _events_in.add(len(fresh))
        _changes.add(sum(1 for c in changes if c.score_moved))

    def _output_events(self, changes: list[Change], as_of: Any) -> list[Envelope]:
        events: list[Envelope] = []
        for change in changes:
            after, before = change.after, change.before
            if change.score_moved:
                events.append(
                    new_envelope(
                        ScoreChanged(
                            unit=change.unit,
                            month=change.month,
                            ruleset=self.ruleset.id,
                            ruleset_version=self.ruleset.version,
                            x=after.x,
                            y=after.y,
                            total=after.total,
                            band=after.band,
                            list=after.listing,
                            previous_total=before.total if before else None,
                            position=self.position,
                        ),
                        unit=change.unit,
                        occurred_at=as_of,
                    )
                )
            for item, added, causes in change.grown_deductions(self.projection.deduction_items):
                if not causes:
                    continue
                prev_band = before.band if before else "very-high"
                prev_list = before.listing if before else "none"
                events.append(
                    new_envelope(
                        DeductionAlerted(
                            unit=change.unit,
                            month=change.month,
                            item=item,
                            points_added=added,
                            item_points=after.items[item],
                            x=after.x,
                            total=after.total,
                            band=after.band,
                            list=after.listing,
                            previous_band=prev_band,
                            previous_list=prev_list,
                            entered_black_list=after.listing == "black" and prev_list != "black",
                            left_red_list=prev_list == "red" and after.listing != "red",
                            cause_event_ids=list(causes),
                            ruleset=self.ruleset.id,
                        ),
                        unit=change.unit,
                        occurred_at=as_of,
                    )
                )
        return events


async def _record_alerts(conn: Any, events: list[Envelope]) -> None:
    alerts = [(e, e.data) for e in events if isinstance(e.data, DeductionAlerted)]
    if alerts:
        await conn.executemany(
            "INSERT INTO alerts (event_id, unit, month, item, points_added, payload) VALUES ($1, $2, $3, $4, $5, $6)",
            [
                (e.id, e.unit, data.month, data.item, data.points_added, data.model_dump(mode="json"))
                for e, data in alerts
            ],
        )
        # Each alert is owed to every active webhook of its unit, in the same transaction.
        await conn.execute(
            "INSERT INTO deliveries (alert_id, webhook_id) SELECT a.event_id, w.id FROM alerts a "
            "JOIN webhooks w ON w.unit = a.unit AND w.active WHERE a.event_id = ANY($1::uuid[])",
            [e.id for e, _ in alerts],
        )


def current_month(projector: LiveProjector) -> str | None:
    wm = projector.projection.watermark
    return month_of(wm) if wm is not None else None


__all__ = ["FACT_TOPICS", "LiveProjector", "current_month", "to_instant"]
