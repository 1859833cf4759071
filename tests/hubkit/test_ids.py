"""Event ids drawn in bulk are UUIDv7 as RFC 9562 lays them out, stamped with their millisecond, all distinct."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from contracts.elicense import LicensePushed
from contracts.fastdecode import decode
from contracts.values import make_uscc
from hubkit.ids import uuid7s
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
