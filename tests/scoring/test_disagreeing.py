"""After a rebuild, the stored results memory scores otherwise are corrected (Projection.disagreeing): the rows a
change of the shard count left behind when a fact's routed copy was still on its way to the unit's former owner."""

from __future__ import annotations

import json
import random
from decimal import Decimal

from contracts.fastdecode import decode
from scoring.domain.projection import Projection
from scoring.domain.result import UnitResult
from scoring.domain.ruleset import builtin_ruleset

from tests.scoring.eventgen import LogGen


def rebuilt() -> Projection:
    rng = random.Random(5)
    projection = Projection(builtin_ruleset())
    projection.fold([decode(json.dumps(e).encode()) for e in LogGen(rng).events(200)])
    projection.refresh({(u, m) for u in projection.store.directory.units for m in ("2019-06", "2019-07", "2019-08")})
    return projection


def as_stored(result: UnitResult) -> UnitResult:
    return UnitResult.from_canonical(json.loads(json.dumps(result.canonical())), result.month, result.as_of - 5,
                                     result.ruleset_id, result.ruleset_version)


def test_rows_that_hold_what_memory_scores_need_nothing_even_stamped_earlier() -> None:
    projection = rebuilt()
    stored = {key: as_stored(result) for key, result in projection.published.items()}
    assert len(stored) > 5 and projection.disagreeing(stored) == []


def test_a_row_scored_without_a_fact_memory_has_is_changed_to_memorys_result() -> None:
    projection = rebuilt()
    stored = {key: as_stored(result) for key, result in projection.published.items()}
    key = sorted(stored)[3]
    doc = projection.published[key].canonical()
    doc["total"], doc["items"], doc["causes"] = "100.00", {}, {}
    stale = UnitResult.from_canonical(doc, key[1], 0, "gx-2019", 1)
    changes = projection.disagreeing(stored | {key: stale, ("nobody", "2019-07"): stale})
    assert [(c.unit, c.month) for c in changes] == [key]  # a row memory does not score is not its business
    assert changes[0].before is stale and changes[0].after is projection.published[key]
    assert changes[0].before.total == Decimal("100.00")
