"""The live projection's stored result of every unit and month equals what an auditor's replay of the
same events gives for that month, whatever order the events arrived in.

Before: three kinds of late facts left earlier months' live results stale or wrong (caught here):
a re-registration (kind, absent indicators: the directory applies the latest one to every month)
re-scored only the months from its own event time on; a decision naming when its request was forwarded
did not re-score the month the forwarding fell in; and a requirement batch assigned again later
replaced the earlier assignment even for instants before the re-assignment, which a replay of those
months never sees.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from contracts.fastdecode import decode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scoring.domain.clock import month_bounds, to_datetime
from scoring.domain.engine import evaluate
from scoring.domain.projection import Projection
from scoring.domain.ruleset import builtin_ruleset
from scoring.replay import replay

from tests.scoring.builders import DEPT, DEPT2, Log, code
from tests.scoring.eventgen import LogGen
from tests.scoring.test_incremental import _arrivals

RULESET = builtin_ruleset()


def consistent(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the exchange can emit about one request: one data kind throughout, its forwarding before any
    decision, and decisions that name the forwarding's instant. The generator draws these at random per
    event; a log that contradicts itself there has no single reading (a replay window and the full log
    may each pick another side)."""
    kinds: dict[tuple[str, str], str] = {}
    decided: dict[tuple[str, str], str] = {}
    for e in events:
        if e["type"].startswith("exchange.request-"):
            e["data"]["data_kind"] = kinds.setdefault((e["unit"], e["data"]["request_id"]), e["data"]["data_kind"])
        if e["type"] in ("exchange.request-approved", "exchange.request-rejected"):
            key = (e["unit"], e["data"]["request_id"])
            decided[key] = min(decided.get(key, e["occurred_at"]), e["occurred_at"])
    kept = [e for e in events if not (e["type"] == "exchange.request-forwarded"
                                      and decided.get((e["unit"], e["data"]["request_id"]), "~") < e["occurred_at"])]
    forwarded: dict[tuple[str, str], str] = {}
    for e in kept:
        if e["type"] == "exchange.request-forwarded":
            key = (e["unit"], e["data"]["request_id"])
            forwarded[key] = min(forwarded.get(key, e["occurred_at"]), e["occurred_at"])
    for e in kept:  # a decision names the instant its request was forwarded
        if e["type"] in ("exchange.request-approved", "exchange.request-rejected"):
            e["data"]["forwarded_at"] = forwarded.get((e["unit"], e["data"]["request_id"]), e["data"]["forwarded_at"])
    return kept


def live(batches: list[list[Any]]) -> Projection:
    projection = Projection(RULESET)
    for batch in batches:
        before = (projection.watermark, projection.earliest)
        projection.refresh(projection.fold(batch), projection.months_to_sweep(*before))
    return projection


def assert_live_equals_replay(events: list[dict[str, Any]], projection: Projection) -> None:
    lines = [(n, json.dumps(e).encode()) for n, e in enumerate(events, start=1)]
    assert projection.watermark is not None
    as_of = to_datetime(projection.watermark)
    for month in sorted({m for _, m in projection.published}):
        audited = {u.unit: u for u in replay(lines, RULESET, month, as_of=as_of).result.units}
        stored = {unit: result for (unit, m), result in projection.published.items() if m == month}
        assert set(stored) == set(audited), month
        for unit, result in stored.items():
            assert result == audited[unit], (unit, month)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_live_results_equal_replay_whatever_the_arrival_order(seed: int) -> None:
    rng = random.Random(seed)
    events = consistent(LogGen(rng).events(150))
    assert_live_equals_replay(events, live(_arrivals(events, rng)))


@pytest.mark.parametrize("seed", range(4))
def test_registrations_arriving_after_everything_else(seed: int) -> None:
    rng = random.Random(seed)
    events = consistent(LogGen(rng).events(150))
    envs = sorted((decode(json.dumps(e)) for e in events), key=lambda e: (e.occurred_at, e.id))
    late = [e for e in envs if e.type == "registry.unit-registered" and e.occurred_at.month > 5]
    order = [e for e in envs if e not in late] + late
    assert_live_equals_replay(events, live([order[i:i + 7] for i in range(0, len(order), 7)]))


def test_a_batch_assigned_again_later_does_not_rewrite_the_months_before() -> None:
    log = Log()
    log.register(DEPT)
    first_batch = [code(DEPT, 1), code(DEPT, 3)]
    log.requirement(DEPT, "fi-0", "first_batch_catalog", first_batch, "2019-07-31", when="2019-07-30 17:00")
    log.publish(DEPT, code(DEPT, 1), "2019-08-05 10:00")
    log.requirement(DEPT, "fi-0", "first_batch_catalog", [code(DEPT, 2)], "2019-09-30", when="2019-09-04 05:00")
    log.update(DEPT, code(DEPT, 2), "2019-10-02 10:00")
    events = log.events
    envs = [decode(json.dumps(e)) for e in events]
    projection = live([[e] for e in envs])
    august = projection.published[(DEPT, "2019-08")]
    assert "B1.3" in august.items  # half of August's first batch published: the re-assignment came later
    assert_live_equals_replay(events, projection)


def test_a_late_event_from_an_earlier_month_gives_every_unit_that_month() -> None:
    """Replay scores every registered unit in every month; live did so only from the earliest event it
    had when the watermark first moved, so a late event from before that gave a score to its own unit."""
    log = Log()
    log.register(DEPT, when="2019-08-01 08:00")
    log.register(DEPT2, when="2019-08-01 08:00")
    log.update(DEPT, code(DEPT, 1), "2019-08-03 10:00")
    log.update(DEPT, code(DEPT, 2), "2019-05-20 10:00")  # arrives last
    projection = live([[decode(json.dumps(e))] for e in log.events])
    assert (DEPT2, "2019-05") in projection.published and (DEPT2, "2019-06") in projection.published
    assert_live_equals_replay(log.events, projection)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_a_month_scored_from_memory_is_the_auditors_replay_of_it(seed: int) -> None:
    """A month's close scores it from the live memory (every fact, whatever arrived when, later months' too) at
    the month's end; the auditors replay the log into a store of that month alone. Same bytes, every month."""
    rng = random.Random(seed)
    events = consistent(LogGen(rng).events(150))
    memory = live(_arrivals(events, rng)).store
    lines = [(n, json.dumps(e).encode()) for n, e in enumerate(events, start=1)]
    months = sorted({e["occurred_at"][:7] for e in events})
    for month in months:
        closed = evaluate(RULESET, memory.directory, memory, month, month_bounds(month)[1])
        audited = replay(lines, RULESET, month).result
        assert closed.sha256() == audited.sha256(), month
        assert closed == audited, month
