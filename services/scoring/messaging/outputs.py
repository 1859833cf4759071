"""What a batch's score changes publish: `scoring.score-changed` and `scoring.deduction-alerted`.

Built directly as outbox rows (hubkit.outbox.EncodedEvents) and alert rows, not through
the contract models: one batch can publish thousands of events, and building each through
pydantic validation took about three times as long (as in elicense's stock import).
tests/scoring/test_outputs.py checks that every payload is byte for byte what
`contracts.encode(new_envelope(ScoreChanged(...)))` gives for the same id, and that every alert
row's payload is the model's `model_dump(mode="json")`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

import orjson
from contracts.scoring import DeductionAlerted, ScoreChanged
from hubkit.outbox import EncodedEvents, EncodedRow

from scoring.domain.projection import Change
from scoring.domain.ruleset import Ruleset
from scoring.storage.alerts import AlertRow

_CENT = Decimal("0.01")


@dataclass(slots=True)
class Outputs:
    outbox: list[EncodedRow] = field(default_factory=list)
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


def build(
    changes: list[Change], deduction_items: frozenset[str], ruleset: Ruleset, as_of: datetime, position: int
) -> Outputs:
    """A score-changed event for each change of the published numbers, then a deduction-alerted
    event for each deduction item that grew with new causes (all stamped with the watermark)."""
    out = Outputs()
    for change in changes:
        if change.restamp:
            continue  # only the as-of instant moved: nothing to tell anyone
        after, before = change.after, change.before
        unit = change.unit
        if change.score_moved:
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
            out.outbox.append(EncodedEvents(ScoreChanged, unit, as_of).row(orjson.dumps(data)))
            out.score_changes += 1
        grown = change.grown_deductions(deduction_items)
        if not grown:
            continue
        prev_band = before.band if before else "very-high"
        prev_list = before.listing if before else "none"
        x, total = two(after.x), two(after.total)
        alerted = EncodedEvents(DeductionAlerted, unit, as_of)
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
            payload = orjson.dumps(data)
            row = alerted.row(payload)
            out.outbox.append(row)
            out.alerts.append((row[0], unit, change.month, item, added.quantize(_CENT), payload))
    return out
