"""The projection's memory (and a replay's store) and the cyclic garbage collector.

Scoring a batch allocates much and frees little (facts, results, archived ids): what a batch leaves
behind is frozen when it is done, so that the cyclic GC stops re-scanning a heap that only grows.
Every few minutes everything is unfrozen and collected once, so cyclic garbage that was frozen while
still alive is still freed.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Iterator

# Between full collections the cyclic GC only looks at objects younger than the last batch.
FULL_COLLECT_SECONDS = 300.0

_paused = 0


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """No cyclic GC pass while scoring or storing a batch; nests, as the scoring of one batch and the
    commit of the previous one interleave."""
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


class MemorySettler:
    def __init__(self) -> None:
        self._collected = time.monotonic()

    def settle(self, *, full: bool = False) -> None:
        now = time.monotonic()
        if full or now - self._collected >= FULL_COLLECT_SECONDS:
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            self._collected = now
