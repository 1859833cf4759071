"""Event ids: UUIDv7 (RFC 9562), drawn in bulk for many events made at one instant, or one at a time.

`uuid6.uuid7()`, used before, read the system's randomness once per id (`secrets.randbits`): in a stock
import of tens of thousands of licenses that read was a third of encoding their events. `uuid7s(n)`
serves a whole batch with one read. The ids share the batch's millisecond and differ in their 74 random
bits, as ids made in the same millisecond one at a time may; no state is kept between calls, so forked
workers and threads draw their own randomness.

`uuid7()` is the one-at-a-time form (`new_envelope`, an event per score change, per alert): it takes its
random bits from a buffer read 256 ids at a time, kept per thread and dropped in a forked child, so no
two processes or threads ever share bits. It stamps the clock as it is: `uuid6.uuid7()` moved its clock
one millisecond ahead per id made within a millisecond (a burst of 14,000 alerts was stamped up to 14 s
in the future).
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_HEAD = (0x7 << 76) | (0b10 << 62)  # version 7, variant 10
_RAND_B = (1 << 62) - 1


def uuid7s(n: int, *, unix_ms: int | None = None) -> list[uuid.UUID]:
    """`n` UUIDv7 ids stamped with `unix_ms` (now when not given)."""
    ms = time.time_ns() // 1_000_000 if unix_ms is None else unix_ms
    head = ((ms & 0xFFFF_FFFF_FFFF) << 80) | _HEAD
    raw, from_bytes, make = os.urandom(10 * n), int.from_bytes, uuid.UUID
    out = []
    for i in range(0, 10 * n, 10):
        out.append(make(int=_layout(head, from_bytes(raw[i:i + 10], "big"))))
    return out


def _layout(head: int, r: int) -> int:
    """The id's bits: `head` (millisecond, version, variant) and 80 random bits `r`: 12 for rand_a, 62 for
    rand_b, 6 unused."""
    return head | ((r >> 62) & 0xFFF) << 64 | (r & _RAND_B)


_BUFFERED = 256
_local = threading.local()


def _forget_in_child() -> None:
    global _local
    _local = threading.local()  # a forked child must not draw the bits its parent will draw too


os.register_at_fork(after_in_child=_forget_in_child)


def uuid7() -> uuid.UUID:
    """One UUIDv7 stamped now."""
    local = _local
    at = getattr(local, "at", 10 * _BUFFERED)
    if at == 10 * _BUFFERED:
        local.raw, at = os.urandom(10 * _BUFFERED), 0
    local.at = at + 10
    head = ((time.time_ns() // 1_000_000 & 0xFFFF_FFFF_FFFF) << 80) | _HEAD
    return uuid.UUID(int=_layout(head, int.from_bytes(local.raw[at:at + 10], "big")))
