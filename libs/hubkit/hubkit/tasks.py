"""Ending a service's background tasks for good."""

from __future__ import annotations

import asyncio
from typing import Any

from . import telemetry

log = telemetry.get_logger(__name__)


async def finish(tasks: list[asyncio.Task[Any]], timeout: float, grace: float = 2.0) -> None:
    """Cancel the tasks and wait for them; after `grace` seconds, cancel those still running again every half
    second. On Python 3.11 a cancellation that meets a finishing `asyncio.wait_for` is swallowed (gh-86296),
    and a loop that missed it would outlive the service; the grace lets a task's own cleanup (a consumer
    leaving its group) finish before it is interrupted."""
    loop = asyncio.get_running_loop()
    deadline, pause = loop.time() + timeout, grace
    pending = {t for t in tasks if not t.done()}
    while pending:
        for task in pending:
            task.cancel()
        left = deadline - loop.time()
        if left <= 0:
            log.warning("background tasks still running after stop", tasks=sorted(t.get_name() for t in pending))
            return
        _, pending = await asyncio.wait(pending, timeout=min(pause, left))
        pause = 0.5
