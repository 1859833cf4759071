"""The projection's outputs, encoded directly, are byte for byte the contract models' encoding."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import orjson
import pytest
from contracts import Envelope, decode, encode, new_envelope
from contracts.fastdecode import decode as fast_decode
from contracts.scoring import DeductionAlerted, ScoreChanged
from scoring.domain.clock import to_datetime
from scoring.domain.projection import Change, Projection
from scoring.domain.ruleset import Ruleset, builtin_ruleset
from scoring.messaging.outputs import build, two

from tests.scoring.eventgen import LogGen

RULESET = builtin_ruleset()


def _reference(changes: list[Change], deduction_items: frozenset[str], ruleset: Ruleset, as_of: datetime,
               position: int, ids: Iterator[uuid.UUID]) -> list[Envelope]:
    """The projector's former output code, through the contract models, with the given ids."""
    events: list[Envelope] = []
    for change in changes:
        if change.restamp:
            continue
        after, before = change.after, change.before
        if change.score_moved:
            events.append(new_envelope(ScoreChanged(
                unit=change.unit, month=change.month, ruleset=ruleset.id, ruleset_version=ruleset.version,
                x=after.x, y=after.y, total=after.total, band=after.band, list=after.listing,
                previous_total=before.total if before else None, position=position,
            ), unit=change.unit, occurred_at=as_of, id=next(ids)))
        for item, added, causes in change.grown_deductions(deduction_items):
            if not causes:
                continue
            prev_band = before.band if before else "very-high"
            prev_list = before.listing if before else "none"
            events.append(new_envelope(DeductionAlerted(
                unit=change.unit, month=change.month, item=item, points_added=added,
                item_points=after.items[item], x=after.x, total=after.total, band=after.band,
                list=after.listing, previous_band=prev_band, previous_list=prev_list,
                entered_black_list=after.listing == "black" and prev_list != "black",
                left_red_list=prev_list == "red" and after.listing != "red",
                cause_event_ids=list(causes), ruleset=ruleset.id,
            ), unit=change.unit, occurred_at=as_of, id=next(ids)))
    return events


@pytest.mark.parametrize("seed", range(8))
def test_outbox_and_alert_rows_equal_the_contract_encoding(seed: int) -> None:
    rng = random.Random(seed)
    events = [fast_decode(json.dumps(e)) for e in LogGen(rng).events(150)]
    rng.shuffle(events)
    projection = Projection(RULESET)
    seen = 0
    for i in range(0, len(events), 25):
        before = projection.watermark
        changes = projection.refresh(projection.fold(events[i:i + 25]), projection.months_to_sweep(before))
        assert projection.watermark is not None
        as_of = to_datetime(projection.watermark + rng.choice((0, 123_456)))
        position = rng.randrange(10**6)
        out = build(changes, projection.deduction_items, RULESET, as_of, position)
        expected = _reference(changes, projection.deduction_items, RULESET, as_of, position,
                              iter([row[0] for row in out.outbox]))
        assert [row[0] for row in out.outbox] == [e.id for e in expected]
        assert [row[1] for row in out.outbox] == [e.topic for e in expected]
        assert [row[2] for row in out.outbox] == [e.unit.encode() for e in expected]
        assert [row[3] for row in out.outbox] == [encode(e) for e in expected]
        alerts = [e for e in expected if isinstance(e.data, DeductionAlerted)]
        assert [(a[0], a[1], a[2], a[3], a[4], orjson.loads(a[5])) for a in out.alerts] == [
            (e.id, e.unit, e.data.month, e.data.item, e.data.points_added, e.data.model_dump(mode="json"))
            for e in alerts]
        assert out.score_changes == sum(isinstance(e.data, ScoreChanged) for e in expected)
        for row in out.outbox:
            assert decode(row[3]).id == row[0]  # and the contract accepts it
        seen += len(out.outbox)
    assert seen > 20


def test_two_is_the_contract_decimal() -> None:
    assert two(Decimal("0.5")) == "0.50" and two(Decimal("96")) == "96.00" and two(Decimal("1.25")) == "1.25"
    for bad in (Decimal("0.125"), Decimal("-1")):
        with pytest.raises(ValueError):
            two(bad)
