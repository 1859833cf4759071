"""A month's close with several shards, scored from memory: every shard held still at once.

With one projection a close holds it still (stillness.py) and scores memory, which is then exactly the archive up
to its position. With shards each memory has the facts of its own units, so the closing instance opens a round
(storage/close_rounds.py) and every shard's instance that projects takes part: it holds its projection still and
joins; once all have joined nobody writes to the archive, and the closer checks, in one snapshot of the database,
that nothing is between shards (no routed record unsent or unread, the same registrations read by all). Then the
archive up to its head is exactly the union of the memories, and each unit's facts are all in its owner's memory:
each shard scores its own units and hands them in, and the month is their union, sealed at that head. A round
with something in flight is abandoned and another opened shortly (the shards read on meanwhile); a shard that does
not join or score in time makes the close answer "busy". O(units) instead of replaying the archive (O(events)).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING

import asyncpg
import orjson
from hubkit.telemetry import get_logger

from scoring.domain.engine import month_result
from scoring.domain.result import MonthResult, UnitResult
from scoring.domain.ruleset import Ruleset
from scoring.domain.window import Window
from scoring.messaging.positions import all_ends
from scoring.messaging.shards import ShardPlan
from scoring.messaging.stillness import ProjectionBusy, scored_in_parts
from scoring.storage import close_rounds, state
from scoring.storage.close_rounds import Round, Settled

if TYPE_CHECKING:
    from scoring.messaging.projector import LiveProjector

log = get_logger(__name__)
LOOK_SECONDS = 1.0  # a notification missed (a connection lost) delays a round at most this long
POLL_SECONDS = 0.02
RETRY_SECONDS = 0.1


async def all_caught_up(projector: LiveProjector, pool: asyncpg.Pool, timeout: float) -> int | None:
    """Wait (at most `timeout` s) until every shard has committed every partition it reads up to the broker's end
    now and nothing is left to forward; the events still behind then (None: this shard is not reading yet)."""
    consumer, plan = projector.consumer, projector.plan
    if consumer is None or not projector.ready.is_set():
        return None
    ends = await all_ends(consumer, [*projector.topics, plan.routed_topic])
    deadline = time.monotonic() + timeout
    while True:
        async with pool.acquire() as conn:
            behind = await state.behind_everywhere(conn, ends, plan)
        if not behind or time.monotonic() >= deadline:
            return behind
        await asyncio.sleep(0.1)


def in_flight(settled: Settled, routed_ends: Mapping[int, int], plan: ShardPlan) -> str | None:
    """What is still between the shards while all are held (None: nothing; the memories together are the
    archive up to its head): a routed record in the outbox, or on the routed topic beyond its reader's offset,
    or registrations some shard has read and another not."""
    if settled.unsent:
        return f"{settled.unsent} records for other shards are not sent yet"
    for partition, end in sorted(routed_ends.items()):
        reader = partition % plan.count
        if settled.offsets.get((reader, plan.routed_topic, partition), 0) < end:
            return f"shard {reader} has not read what was routed to it (partition {partition})"
    read = [{(t, p): o for (s, t, p), o in settled.offsets.items() if s == shard and t == plan.registry_topic}
            for shard in range(plan.count)]
    if any(r != read[0] for r in read):
        return "the shards have not all read the same registrations"
    return None


@contextlib.asynccontextmanager
async def taking_part(projector: LiveProjector, pool: asyncpg.Pool) -> AsyncIterator[None]:
    """Inside (this instance projects its shard), its part in every round; several shards only."""
    if projector.plan.count == 1:
        yield
        return
    task = asyncio.create_task(Participant(projector).serve(pool))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Participant:
    def __init__(self, projector: LiveProjector) -> None:
        self.projector = projector

    async def serve(self, pool: asyncpg.Pool) -> None:
        while True:
            try:
                await self._listen(pool)
            except Exception as exc:  # whatever it was, later closes must not all wait on this shard
                log.warning("month close rounds: cannot take part; trying again", error=repr(exc))
                await asyncio.sleep(LOOK_SECONDS)

    async def _listen(self, pool: asyncpg.Pool) -> None:
        listener = await pool.acquire()
        wake = asyncio.Event()

        def woken(*_: object) -> None:
            wake.set()

        await listener.add_listener(close_rounds.CHANNEL, woken)
        try:
            while True:
                wake.clear()
                for rnd in await close_rounds.waiting_for(pool, self.projector.plan.index):
                    await self.take_part(pool, rnd)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), LOOK_SECONDS)
        finally:
            with contextlib.suppress(Exception):
                await listener.remove_listener(close_rounds.CHANNEL, woken)
            await pool.release(listener)

    async def take_part(self, pool: asyncpg.Pool, rnd: Round) -> None:
        """Hold still and join; once the closer decides, score this shard's units if it says so (until the
        round's deadline at most)."""
        p, shard = self.projector, self.projector.plan.index
        try:
            async with p.stillness.held(rnd.seconds):
                await close_rounds.join(pool, rnd.id, shard)
                if await _decision(pool, rnd.id, time.monotonic() + rnd.seconds) != "scoring":
                    return
                units = await scored_in_parts(p.ruleset, p.projection.store, rnd.month, rnd.as_of, p.plan.shards.owns)
        except ProjectionBusy:
            await close_rounds.join(pool, rnd.id, shard, busy=True)
            return
        await close_rounds.hand_in(pool, rnd.id, shard, orjson.dumps([u.canonical() for u in units]))


async def _decision(pool: asyncpg.Pool, round_id: uuid.UUID, deadline: float) -> str | None:
    """The closer's word on a round once it moves on from holding (None: not before the deadline, or dropped)."""
    while (state := await close_rounds.state_of(pool, round_id)) == "holding":
        if time.monotonic() >= deadline:
            return None
        await asyncio.sleep(POLL_SECONDS)
    return state


async def gather(pool: asyncpg.Pool, projector: LiveProjector, ruleset: Ruleset, month: str, t: int,
                 wait: float) -> tuple[MonthResult, int] | None:
    """The month scored by every shard from memory held still at once, and the archive position that is (None:
    some shard did not take part in time, or something stayed in flight between shards)."""
    deadline = time.monotonic() + wait
    async with close_rounds.alone(pool, wait) as alone:
        while alone and time.monotonic() < deadline:
            round_id = await close_rounds.open_round(pool, month, t, deadline - time.monotonic())
            try:
                outcome = await _one_round(pool, projector, ruleset, round_id, month, t, deadline)
            finally:
                await close_rounds.drop(pool, round_id)
            if outcome != "retry":
                return outcome if isinstance(outcome, tuple) else None
            await asyncio.sleep(RETRY_SECONDS)  # the shards read on meanwhile
    return None


async def _one_round(pool: asyncpg.Pool, projector: LiveProjector, ruleset: Ruleset, round_id: uuid.UUID,
                     month: str, t: int, deadline: float) -> tuple[MonthResult, int] | str:
    plan = projector.plan
    if await _parts(pool, round_id, plan.count, deadline, scored=False) is None:
        return "busy"
    if projector.consumer is None:  # this instance stopped reading meanwhile (a restart)
        return "busy"
    settled = await close_rounds.settled(pool, plan.routed_topic)
    ends = await all_ends(projector.consumer, [plan.routed_topic])
    why = in_flight(settled, {tp.partition: end for tp, end in ends.items()}, plan)
    if why is not None:
        log.info("month close: a round abandoned, something is between shards", month=month, why=why)
        await close_rounds.set_state(pool, round_id, "abandoned")
        return "retry"
    await close_rounds.set_state(pool, round_id, "scoring")
    handed_in = await _parts(pool, round_id, plan.count, deadline, scored=True)
    if handed_in is None:
        return "busy"
    as_of = Window.of(month, t).t
    units = sorted((UnitResult.from_canonical(doc, month, as_of, ruleset.id, ruleset.version)
                    for results in handed_in for doc in orjson.loads(results)), key=lambda u: u.unit)
    if len({u.unit for u in units}) != len(units):
        raise RuntimeError("two shards scored one unit: they do not agree on the shard count")
    return month_result(ruleset, month, t, tuple(units)), settled.head


async def _parts(pool: asyncpg.Pool, round_id: uuid.UUID, count: int, deadline: float, *,
                 scored: bool) -> list[bytes] | None:
    """Once every shard has joined (`scored`: and handed its units in), their results; None when one says it
    is busy or the deadline passes first."""
    while True:
        found = await close_rounds.parts(pool, round_id)
        if any(busy for _, busy, _ in found):
            return None
        if len(found) == count and (not scored or all(r is not None for _, _, r in found)):
            return [r or b"[]" for _, _, r in found]
        if time.monotonic() >= deadline:
            return None
        await asyncio.sleep(POLL_SECONDS)
