"""A scored batch of the live projection and what its commit writes, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import ConsumerRecord
from hubkit import outbox
from hubkit.logident import StoredPosition
from hubkit.outbox import EncodedRow
from opentelemetry import trace

from scoring.domain.clock import Instant, to_datetime, to_instant
from scoring.domain.projection import Change
from scoring.domain.ruleset import Ruleset
from scoring.domain.sharding import History
from scoring.messaging import forwarding, outputs, tracing
from scoring.messaging.shards import ShardPlan
from scoring.storage import alerts, archive, state


@dataclass(frozen=True, slots=True)
class Batch:
    """A scored batch waiting for its commit."""

    rows: list[archive.Archived]
    changes: list[Change]
    offsets: dict[tuple[str, int], StoredPosition]
    watermark: int | None  # after this batch (the next one may already have moved memory's on)
    earliest: int | None
    routed: list[EncodedRow]  # events sent on to the shards owning other units they move
    histories: list[History]  # counties whose facts go to their city's shard
    removed: set[tuple[str, str]]  # unit-months no longer scored (exempt units)
    fresh: list[tuple[ConsumerRecord, Any]]  # the new events and their messages (for the alerts' traces)
    span: trace.Span  # the batch's, ended by its commit
    began: float  # perf_counter when it was fetched


def earliest_event(batch: Batch) -> Instant | None:
    """The event time of the batch's earliest event (None: it held none)."""
    return to_instant(min(r[3] for r in batch.rows)) if batch.rows else None


async def store(conn: Any, batch: Batch, deduction_items: frozenset[str], ruleset: Ruleset, plan: ShardPlan) -> int:
    """Archive, scores, ledger, outbox (score changes, alerts, what goes to other shards), offsets and time
    frame; returns the archive position after the batch."""
    shard, changes, wm = plan.index, batch.changes, batch.watermark
    await archive.lock(conn)
    position = await archive.append(conn, batch.rows, shard)
    if wm is not None and changes:
        await store_changes(conn, changes, deduction_items, ruleset, wm, position, batch.fresh)
    await outbox.add_encoded_once(conn, "scoring", batch.routed)
    await forwarding.send_histories(conn, batch.histories, plan)
    await state.remove_scores(conn, batch.removed)
    await state.save_offsets(conn, batch.offsets, shard)
    await state.save_state(conn, watermark=wm, earliest=batch.earliest, position=position, ruleset=ruleset.id,
                           version=ruleset.version, shard=shard, shards=plan.count)
    return position


async def store_changes(conn: Any, changes: list[Change], deduction_items: frozenset[str], ruleset: Ruleset,
                        watermark: int, position: int, fresh: Sequence[tuple[ConsumerRecord, Any]] = ()) -> None:
    """Changed results as any change is stored: the rows, the ledger, the score-change events and the alerts of
    deductions that appear (`fresh`: the batch's events, whose traces the alerts continue). A batch's commit stores
    its changes so; a rebuild, the stored results memory scores otherwise (Projection.disagreeing)."""
    as_of = to_datetime(watermark)
    await state.save_changes(conn, changes, ruleset=ruleset.id, version=ruleset.version, as_of=as_of,
                             position=position)
    published = outputs.build(changes, deduction_items, ruleset, as_of, position)
    traces = tracing.alert_traces(published.alerts, fresh)
    await outbox.add_encoded(conn, "scoring", published.outbox, traces)
    await alerts.record(conn, published.alerts, traces)
