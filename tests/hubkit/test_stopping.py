"""A stopped service leaves nothing running. A consumer that outlived its service kept retrying on the closed
pool and, still a member of its consumer group, held partitions no live member could read (CI, stop 32)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import GroupCoordinatorNotAvailableError
from contracts import DEADLETTER_TOPIC
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


@pytest.mark.integration
async def test_a_consumer_stopped_while_joining_its_group_leaves_it(kafka_bootstrap: str) -> None:
    """aiokafka's start() waits for the group's first assignment while its coordinator joins in the background;
    a service stopped in that window left a member that kept heartbeating and held partitions no live member
    could read (the exchange's catalog feed starved in CI)."""
    name = f"test.joining-{uuid.uuid4().hex[:8]}"
    consumer = IdempotentConsumer(settings=HubSettings(kafka_bootstrap=kafka_bootstrap), pool=None, schema="scoring",
                                  name=name, topics=[DEADLETTER_TOPIC], handler=None, producer=None)
    task = asyncio.create_task(consumer.run())
    for _ in range(1000):  # stopped as soon as start() has a coordinator and waits for the first assignment
        if consumer.consumer is not None and consumer.consumer._coordinator is not None:
            break
        await asyncio.sleep(0.001)
    assert consumer.consumer is not None and not consumer.consumer.assignment()
    consumer.stopping = True
    await finish([task], timeout=10.0)
    assert task.done()
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        members: list[Any] = []
        for _ in range(16):  # a leaked member joins within a second or two and stays
            await asyncio.sleep(0.25)
            try:
                [response] = await admin.describe_consumer_groups([f"hub-{name}"])
            except GroupCoordinatorNotAvailableError:  # a fresh broker creates its offsets topic first
                continue
            [(_error, _group, _state, _type, _protocol, members, *_)] = response.groups
        assert members == [], "a member of the group outlived its consumer"
    finally:
        await admin.close()
