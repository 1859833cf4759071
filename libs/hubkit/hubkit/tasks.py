"""Ending a service's background tasks for good."""

from __future__ import annotations

import asyncio
from typing import Any

from . import telemetry

log = telemetry.get_logger(__name__)


async def finish(tasks: list[asyncio.Task[Any]], timeout: float) -> None:
    """Cancel the tasks and wait for them, cancelling again every half second: on Python 3.11 a
    cancellation that meets a finishing `asyncio.wait_for` is swallowed (gh-86296), and a loop that
    missed it would outlive the service."""
    deadline = asyncio.get_running_loop().time() + timeout
    pending = {t for t in tasks if not t.done()}
    while pending:
        for task in pending:
            task.cancel()
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            log.warning("background tasks still running after stop", tasks=sorted(t.get_name() for t in pending))
            return
        _, pending = await asyncio.wait(pending, timeout=min(0.5, left))
