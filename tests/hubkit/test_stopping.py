"""A stopped service leaves nothing running. A consumer that outlived its service kept retrying on the closed
pool and, still a member of its consumer group, held partitions no live member could read (CI, stop 32)."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
from hubkit.kafka import IdempotentConsumer
from hubkit.settings import HubSettings
from hubkit.tasks import finish


async def test_a_loop_that_swallows_a_cancellation_still_ends() -> None:
    swallowed = 0

    async def stubborn() -> None:  # what a cancellation lost inside Python 3.11's wait_for looks like
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                if swallowed:
                    raise
                swallowed += 1
                task = asyncio.current_task()
                assert task is not None
                task.uncancel()

    task = asyncio.create_task(stubborn(), name="stubborn")
    await asyncio.sleep(0.01)
    await finish([task], timeout=3.0)
    assert task.done() and swallowed == 1


async def test_finish_gives_up_at_its_timeout_and_returns() -> None:
    alive = True

    async def immortal() -> None:
        while alive:
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                assert task is not None
                task.uncancel()

    task = asyncio.create_task(immortal())
    await asyncio.sleep(0.01)
    started = asyncio.get_running_loop().time()
    await finish([task], timeout=0.3)
    assert not task.done() and asyncio.get_running_loop().time() - started < 2
    alive = False
    await task


async def test_a_consumer_stops_retrying_once_its_host_stops() -> None:
    consumer = IdempotentConsumer(settings=HubSettings(), pool=None, schema="scoring", name="scoring.test",
                                  topics=[], handler=None, producer=None)
    attempts = 0

    async def closed_pool(_: Any) -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 2:
            consumer.stopping = True
        raise asyncpg.InterfaceError("pool is closed")

    consumer._apply = closed_pool
    with pytest.raises(asyncpg.InterfaceError):
        await asyncio.wait_for(consumer._apply_partition(None, [object()]), 5)
    assert attempts == 2
