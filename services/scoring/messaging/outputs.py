"""What a batch's score changes publish: `scoring.score-changed` and `scoring.deduction-alerted`.

Built directly as outbox rows (event id, topic, key, envelope JSON) and alert rows, not through
the contract models: one batch can publish thousands of events, and building each through
pydantic validation took about three times as long (as in elicense's stock import).
tests/scoring/test_outputs.py checks that every payload is byte for byte what
`contracts.encode(new_envelope(ScoreChanged(...)))` gives for the same id, and that every alert
row's payload is the model's `model_dump(mode="json")`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

import orjson
import uuid6
from contracts.event_types import topic_for
from contracts.scoring import DeductionAlerted, ScoreChanged

from scoring.domain.projection import Change
from scoring.domain.ruleset import Ruleset

OutboxRow = tuple[uuid.UUID, str, bytes, bytes]  # event id, topic, key, payload
# event id, unit, month, item, points added, payload (the event's data as JSON)
AlertRow = tuple[uuid.UUID, str, str, str, Decimal, bytes]
SCORE_CHANGED_TOPIC = topic_for(ScoreChanged.TYPE)
ALERTED_TOPIC = topic_for(DeductionAlerted.TYPE)
_CENT = Decimal("0.01")


@dataclass(slots=True)
class Outputs:
    outbox: list[OutboxRow] = field(default_factory=list)
    alerts: list[AlertRow] = field(default_factory=list)
    score_changes: int = 0


def two(value: Decimal) -> str:
    """A Decimal2 as the contract publishes it ("87.50"); like its validator, refuses anything
    that is not a non-negative decimal with at most 2 decimals."""
    return _two(value) if value.is_signed() else _two_unsigned(value)  # -0 must not share 0's entry


def _two(value: Decimal) -> str:
    cents = value.quantize(_CENT)
    if cents != value or cents < 0:
        raise ValueError(f"not a non-negative decimal with at most 2 decimals: {value}")
    return f"{cents:.2f}"


_two_unsigned = lru_cache(maxsize=4096)(_two)  # the same few hundred values all the time


def _head(type_: str, source: str, version: int, unit: str, occurred_at: datetime) -> bytes:
    """The envelope's fields between "id" and "data", in the contract's order."""
    return orjson.dumps({"type": type_, "version": version, "source": source, "unit": unit,
                         "occurred_at": occurred_at, "recorded_at": None})[1:-1]


def _envelope(event_id: uuid.UUID, head: bytes, data: bytes) -> bytes:
    return b'{"id":"%s",%s,"data":%s}' % (str(event_id).encode(), head, data)


def build(
    changes: list[Change], deduction_items: frozenset[str], ruleset: Ruleset, as_of: datetime, position: int
) -> Outputs:
    """A score-changed event for each change of the published numbers, then a deduction-alerted
    event for each deduction item that grew with new causes (all stamped with the watermark)."""
    out = Outputs()
    heads: dict[tuple[str, str], bytes] = {}
    for change in changes:
        if change.restamp:
            continue  # only the as-of instant moved: nothing to tell anyone
        after, before = change.after, change.before
        unit, key = change.unit, change.unit.encode()
        if change.score_moved:
            head = heads.get((ScoreChanged.TYPE, unit))
            if head is None:
                head = heads[(ScoreChanged.TYPE, unit)] = _head(
                    ScoreChanged.TYPE, ScoreChanged.SOURCE, ScoreChanged.VERSION, unit, as_of)
            data: dict[str, Any] = {
                "unit": unit,
                "month": change.month,
                "ruleset": ruleset.id,
                "ruleset_version": ruleset.version,
                "x": two(after.x),
                "y": two(after.y),
                "total": two(after.total),
                "band": after.band,
                "list": after.listing,
                "previous_total": two(before.total) if before else None,
                "position": position,
            }
            event_id = uuid6.uuid7()  # what contracts.new_envelope uses
            out.outbox.append((event_id, SCORE_CHANGED_TOPIC, key, _envelope(event_id, head, orjson.dumps(data))))
            out.score_changes += 1
        grown = change.grown_deductions(deduction_items)
        if not grown:
            continue
        prev_band = before.band if before else "very-high"
        prev_list = before.listing if before else "none"
        x, total = two(after.x), two(after.total)
        head = heads.get((DeductionAlerted.TYPE, unit))
        if head is None:
            head = heads[(DeductionAlerted.TYPE, unit)] = _head(
                DeductionAlerted.TYPE, DeductionAlerted.SOURCE, DeductionAlerted.VERSION, unit, as_of)
        for item, added, causes in grown:
            if not causes:
                continue
            data = {
                "unit": unit,
                "month": change.month,
                "item": item,
                "points_added": two(added),
                "item_points": two(after.items[item]),
                "x": x,
                "total": total,
                "band": after.band,
                "list": after.listing,
                "previous_band": prev_band,
                "previous_list": prev_list,
                "entered_black_list": after.listing == "black" and prev_list != "black",
                "left_red_list": prev_list == "red" and after.listing != "red",
                "cause_event_ids": list(causes),
                "ruleset": ruleset.id,
            }
            event_id = uuid6.uuid7()
            payload = orjson.dumps(data)
            out.outbox.append((event_id, ALERTED_TOPIC, key, _envelope(event_id, head, payload)))
            out.alerts.append((event_id, unit, change.month, item, added.quantize(_CENT), payload))
    return out
