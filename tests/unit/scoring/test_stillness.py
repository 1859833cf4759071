"""Holding the projection still (a month's close): the holder gets in only once the commit in flight is done and
the loop stands at its checkpoint; nothing is folded while anyone holds it; a loop that never comes gives
ProjectionBusy, and a failed commit never counts as a stop."""

from __future__ import annotations

import asyncio

import pytest
from scoring.messaging.stillness import ProjectionBusy, Stillness


async def _loop(still: Stillness, log: list[str], batches: asyncio.Queue[asyncio.Future[None] | None]) -> None:
    """A projector's loop: checkpoint, fetch a batch (its commit's future; the fetch gives up after a moment, as
    `getmany` does, and the loop goes round), fold it, commit it in the background."""
    committing: asyncio.Future[None] | None = None
    n = 0
    while True:
        await still.checkpoint(committing)
        try:
            commit = await asyncio.wait_for(batches.get(), 0.01)
        except TimeoutError:
            continue
        if commit is None:
            return
        log.append(f"fold {n}")
        n, committing = n + 1, commit


async def test_the_holder_gets_in_after_the_commit_in_flight_and_nothing_is_folded_meanwhile() -> None:
    still, log = Stillness(), []
    loop = asyncio.get_running_loop()
    commits: list[asyncio.Future[None]] = [loop.create_future() for _ in range(3)]
    batches: asyncio.Queue[asyncio.Future[None] | None] = asyncio.Queue()
    projector = asyncio.create_task(_loop(still, log, batches))
    await batches.put(commits[0])
    commits[0].set_result(None)
    await batches.put(commits[1])  # folded; its commit in flight
    await asyncio.sleep(0.05)
    assert log == ["fold 0", "fold 1"]

    async def close() -> None:
        async with still.held(timeout=5):
            log.append("held")
            await asyncio.sleep(0.01)  # the projector would fold batch 2 here if it could
            log.append("released")

    holder = asyncio.create_task(close())
    await asyncio.sleep(0.05)  # the loop comes round to its checkpoint and waits there for batch 1's commit
    await batches.put(commits[2])
    await asyncio.sleep(0.05)
    assert still.holding and not holder.done() and log == ["fold 0", "fold 1"]  # batch 2 not fetched
    commits[1].set_result(None)
    await holder
    await asyncio.sleep(0.05)
    assert log == ["fold 0", "fold 1", "held", "released", "fold 2"] and not still.holding
    commits[2].set_result(None)
    await batches.put(None)
    await projector


async def test_a_projection_that_never_stops_is_busy() -> None:
    still = Stillness()
    with pytest.raises(ProjectionBusy):
        async with still.held(timeout=0.05):
            raise AssertionError("held without a stop")
    assert not still.holding


async def test_a_failed_commit_is_not_a_stop() -> None:
    still = Stillness()
    failed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    failed.set_exception(RuntimeError("commit failed"))
    with pytest.raises(ProjectionBusy):
        async with still.held(timeout=0.05):
            with pytest.raises(RuntimeError, match="commit failed"):
                await still.checkpoint(failed)
            raise AssertionError("held after a failed commit")


async def test_two_holders_share_one_stop() -> None:
    still, log = Stillness(), []
    batches: asyncio.Queue[asyncio.Future[None] | None] = asyncio.Queue()
    projector = asyncio.create_task(_loop(still, log, batches))
    first, second = asyncio.Event(), asyncio.Event()

    async def hold(mine: asyncio.Event, other: asyncio.Event) -> None:
        async with still.held(timeout=5):
            mine.set()
            await other.wait()  # both inside at once

    await asyncio.gather(hold(first, second), hold(second, first))
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    done.set_result(None)
    await batches.put(done)
    await batches.put(None)
    await projector
    assert log == ["fold 0"] and not still.holding


async def test_a_holder_coming_in_as_another_leaves_finds_it_still() -> None:
    """The last holder's leaving wakes the loop; a holder coming in before the loop runs sees it stopped and goes
    in at once: the loop, when it runs, must stay where it is."""
    still, log = Stillness(), []
    batches: asyncio.Queue[asyncio.Future[None] | None] = asyncio.Queue()
    projector = asyncio.create_task(_loop(still, log, batches))
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    done.set_result(None)
    async with still.held(timeout=5):
        await batches.put(done)  # fetched once the loop goes on
    async with still.held(timeout=5):  # no step of the loop in between
        await asyncio.sleep(0.05)
        assert log == []
    await asyncio.sleep(0.05)
    assert log == ["fold 0"]
    await batches.put(None)
    await projector
