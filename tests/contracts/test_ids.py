"""Event ids drawn in bulk are UUIDv7 as RFC 9562 lays them out, stamped with their millisecond, all distinct."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime

from contracts import new_envelope
from contracts.elicense import LicensePushed
from contracts.fastdecode import decode
from contracts.ids import uuid7, uuid7s
from contracts.values import make_uscc
from hubkit.outbox import EncodedEvents
from hypothesis import given
from hypothesis import strategies as st


@given(n=st.integers(min_value=0, max_value=300), ms=st.integers(min_value=0, max_value=2**48 - 1))
def test_bulk_ids_are_version_7_with_their_millisecond(n: int, ms: int) -> None:
    ids = uuid7s(n, unix_ms=ms)
    assert len(ids) == n == len(set(ids))
    for i in ids:
        assert (i.version, i.variant) == (7, uuid.RFC_4122)
        assert i.int >> 80 == ms


def test_each_batch_draws_its_own_randomness_and_the_clock_by_default() -> None:
    before = time.time_ns() // 1_000_000
    first, second = uuid7s(1000), uuid7s(1000)
    after = time.time_ns() // 1_000_000
    assert not set(first) & set(second)
    assert all(before <= i.int >> 80 <= after for i in first + second)
    # the random bits vary in every position they occupy (12 bits of rand_a, 62 of rand_b)
    varying = 0
    for i in first:
        varying |= i.int ^ first[0].int
    assert varying == ((0xFFF << 64) | ((1 << 62) - 1))


def test_an_id_drawn_in_bulk_reads_back_as_the_envelope_id() -> None:
    rows = EncodedEvents(LicensePushed, make_uscc("450000", "MB000000"), datetime(2019, 8, 1, tzinfo=UTC)).rows(
        [b'{"license_id":"L-1","license_type":"t","push_mode":"stock","file_format":null,"sealed":false}'])
    event_id, _, _, payload = rows[0]
    assert decode(payload).id == event_id


def test_ids_made_one_at_a_time_are_version_7_stamped_now_and_distinct_across_buffer_refills() -> None:
    before = time.time_ns() // 1_000_000
    ids = [uuid7() for _ in range(2000)]  # several refills of the 256-id buffer
    after = time.time_ns() // 1_000_000
    assert len(set(ids)) == 2000
    for i in ids:
        assert (i.version, i.variant) == (7, uuid.RFC_4122)
        assert before <= i.int >> 80 <= after  # the clock now, never run ahead as uuid6.uuid7() does in a burst
    varying = 0
    for i in ids:
        varying |= i.int ^ ids[0].int
    assert varying & ((0xFFF << 64) | ((1 << 62) - 1)) == ((0xFFF << 64) | ((1 << 62) - 1))


def test_a_forked_child_never_draws_the_bits_its_parent_draws_next() -> None:
    uuid7()  # the parent's buffer holds 255 more ids' worth of bits when it forks
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next ids, as random bits, to the parent
        os.close(read)
        os.write(write, b"".join((i.int & ((1 << 80) - 1)).to_bytes(10, "big") for i in (uuid7() for _ in range(50))))
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        said = pipe.read()
    os.waitpid(pid, 0)
    child = {int.from_bytes(said[i:i + 10], "big") for i in range(0, len(said), 10)}
    parent = {i.int & ((1 << 80) - 1) for i in (uuid7() for _ in range(50))}
    assert len(child) == 50 and not child & parent


def test_envelopes_made_in_a_burst_carry_the_clock_not_a_clock_run_ahead() -> None:
    payload = LicensePushed(license_id="L-1", license_type="t", push_mode="stock", file_format=None, sealed=False)
    before = time.time_ns() // 1_000_000
    ids = [new_envelope(payload, unit=make_uscc("450000", "MB000000"), occurred_at=datetime(2019, 8, 1, tzinfo=UTC)).id
           for _ in range(3000)]
    after = time.time_ns() // 1_000_000
    assert len(set(ids)) == 3000
    assert all(i.version == 7 and before <= i.int >> 80 <= after for i in ids)
