"""A license's firsts (first push, with a file, in stock mode, sealed) whatever order its pushes arrive in, held
so that the cyclic GC stops tracking them: a province's memory holds one per license, hundreds of thousands, and
each full collection of the live projection walked every one of them while they were lists."""

from __future__ import annotations

import gc
import itertools

from contracts.fastdecode import LicensePushed
from scoring.domain.facts.elicense import FILE, PUSH, SEALED, STOCK, ElicenseFacts, push

PUSHES = [  # (stamp, mode, file, sealed)
    ((300, 3), "auto_incremental", None, False),
    ((200, 2), "stock", "pdf", False),
    ((250, 5), "manual", "ofd", True),
    ((100, 1), "manual", None, False),
]


def _pushed(mode: str, fmt: str | None, sealed: bool) -> LicensePushed:
    return LicensePushed(license_id="L-1", license_type="营业执照", push_mode=mode, file_format=fmt,  # type: ignore[arg-type]
                         sealed=sealed)


def test_each_first_is_the_earliest_push_it_applies_to_in_any_order() -> None:
    for order in itertools.permutations(PUSHES):
        facts = ElicenseFacts()
        for stamp, mode, fmt, sealed in order:
            push(facts, _pushed(mode, fmt, sealed), stamp)
        firsts = facts.licenses["L-1"]
        assert (firsts[PUSH], firsts[FILE], firsts[STOCK], firsts[SEALED]) == ((100, 1), (200, 2), (200, 2), (250, 5))
        assert facts.pushes == len(PUSHES)


def test_the_collector_stops_tracking_a_licenses_firsts() -> None:
    facts = ElicenseFacts()
    for stamp, mode, fmt, sealed in PUSHES:
        push(facts, _pushed(mode, fmt, sealed), stamp)
    gc.collect()
    assert not gc.is_tracked(facts.licenses["L-1"])
