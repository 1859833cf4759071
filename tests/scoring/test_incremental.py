"""Skipping re-evaluation changes no score: the live projection's incremental scorer gives exactly
what evaluating every item of every target from scratch gives, batch after batch, as the
watermark crosses deadlines, start dates, staleness limits and month ends."""

from __future__ import annotations

import json
import random
from datetime import datetime
from typing import Any

import pytest
from contracts.fastdecode import decode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scoring.domain.clock import month_bounds, month_of, to_instant
from scoring.domain.dependencies import EVENT_CHANNELS, METRIC_CHANNELS, item_channels
from scoring.domain.engine import evaluate_unit
from scoring.domain.facts import FactStore
from scoring.domain.incremental import IncrementalScorer
from scoring.domain.metrics import METRICS
from scoring.domain.projection import Change, Projection
from scoring.domain.ruleset import builtin_ruleset

from tests.scoring.builders import CITY, DEPT, DEPT2, OTHER_DEPT, Log, at, code, items, request, store_of, unit_score
from tests.scoring.eventgen import LogGen, special_instants

RULESET = builtin_ruleset()


def _reference(ruleset: Any = RULESET) -> Projection:
    """The same projection, evaluating every target from scratch."""
    ref = Projection(ruleset)
    ref.scorer.evaluate = lambda unit, month, t: evaluate_unit(  # type: ignore[method-assign]
        ruleset, ref.store.directory, ref.store, unit, month, t)
    return ref


def _step(p: Projection, batch: list[Any]) -> list[Change]:
    before = p.watermark
    return p.refresh(p.fold(batch), p.months_to_sweep(before))


def _view(changes: list[Change]) -> list[tuple[Any, ...]]:
    return [(c.unit, c.month, c.before, c.after, c.restamp) for c in changes]


def _arrivals(events: list[dict[str, Any]], rng: random.Random) -> list[list[Any]]:
    """Roughly in event time (so the watermark creeps over the special instants), some late,
    some duplicated, in batches of 1 to 8."""
    envs = sorted((decode(json.dumps(e)) for e in events), key=lambda e: (e.occurred_at, e.id))
    for _ in range(len(envs) // 5):
        i, j = rng.randrange(len(envs)), rng.randrange(len(envs))
        envs[i], envs[j] = envs[j], envs[i]
    envs += rng.sample(envs, len(envs) // 20)
    batches, i = [], 0
    while i < len(envs):
        n = rng.randrange(1, 9)
        batches.append(envs[i:i + n])
        i += n
    return batches


def _check_log(seed: int, n: int) -> int:
    rng = random.Random(seed)
    events = LogGen(rng).events(n)
    live, ref = Projection(RULESET), _reference()
    changed = 0
    for batch in _arrivals(events, rng):
        got, want = _step(live, batch), _step(ref, batch)
        assert _view(got) == _view(want)
        changed += len(got)
    assert live.published == ref.published
    # and the current month's scores are what evaluating the final facts gives
    assert live.watermark is not None
    for (unit, month), result in live.published.items():
        if month_bounds(month)[1] > live.watermark:
            assert result == evaluate_unit(RULESET, live.store.directory, live.store, unit, month, live.watermark)
    return changed


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), n=st.integers(min_value=20, max_value=120))
def test_incremental_projection_equals_evaluating_everything(seed: int, n: int) -> None:
    _check_log(seed, n)


@pytest.mark.parametrize("seed", range(6))
def test_long_logs_with_many_small_batches(seed: int) -> None:
    assert _check_log(1000 + seed, 400) > 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), data=st.data())
def test_without_new_facts_a_result_holds_until_its_horizon(seed: int, data: st.DataObject) -> None:
    """Facts fixed; T moves forward in steps landing on, just before and just after the
    instants where scores change (and at random): the scorer re-evaluates only what reached its
    horizon and still equals a full evaluation at every step."""
    rng = random.Random(seed)
    events = LogGen(rng, end="2019-07-20").events(data.draw(st.integers(min_value=10, max_value=80)))
    store = FactStore()
    for e in events:
        store.apply(decode(json.dumps(e)))
    latest = max(to_instant(decode(json.dumps(e)).occurred_at) for e in events)
    scorer = IncrementalScorer(RULESET, store)
    steps = sorted({latest, *(t + d for t in map(to_instant, special_instants()) for d in (-1, 0, 1)),
                    *(rng.randrange(latest, month_bounds("2019-10")[1]) for _ in range(20))})
    steps = [t for t in steps if t >= latest]
    for t in steps:
        month = month_of(t)
        for unit in (DEPT, DEPT2, OTHER_DEPT, CITY):
            for m in {month, "2019-07"}:
                got = scorer.evaluate(unit, m, t)
                assert got == evaluate_unit(RULESET, store.directory, store, unit, m, t), (unit, m, t)


def test_a_month_evaluated_before_it_begins_is_evaluated_again_when_it_does() -> None:
    """Found by the property above (seed 138180): July evaluated at the last instant of June watched
    nothing for a resource stale since June, so at July's first instant B1.6 stayed unscored."""
    log = Log()
    log.register(DEPT)
    c = code(DEPT, 2)
    log.mount(DEPT, c, "2019-06-02 05:00")
    log.publish(DEPT, c, "2019-06-13 11:32", cycle="daily")
    store = store_of(log)
    scorer = IncrementalScorer(RULESET, store)
    june_end, july = month_bounds("2019-07")[0] - 1, month_bounds("2019-07")[0]
    for t in (june_end, july, july + 1):
        assert scorer.evaluate(DEPT, "2019-07", t) == evaluate_unit(RULESET, store.directory, store, DEPT, "2019-07", t)
    assert items(scorer.evaluate(DEPT, "2019-07", july)).get("B1.6")


def test_every_metric_and_every_folded_event_type_has_its_channels() -> None:
    assert set(METRIC_CHANNELS) == set(METRICS)
    assert set(EVENT_CHANNELS) == set(FactStore().folded_types)
    for item in RULESET.items.values():
        assert item_channels(item)


def test_a_watermark_move_that_changes_nothing_only_restamps() -> None:
    rng = random.Random(5)
    events = LogGen(rng).events(60)
    live = Projection(RULESET)
    _step(live, [decode(json.dumps(e)) for e in events])
    tick = LogGen(random.Random(1))
    env = tick.log.add("exchange.data-used", DEPT, "2019-12-20T10:00:00+08:00", resource_code=code(DEPT, 1),
                       consumer_unit=DEPT, purpose="general")
    changes = _step(live, [decode(json.dumps(env))])
    assert changes, "the first move into December scores December"
    env2 = tick.log.add("exchange.data-used", DEPT, "2019-12-20T10:00:01+08:00",
                        resource_code=env["data"]["resource_code"], consumer_unit=DEPT, purpose="general")
    again = _step(live, [decode(json.dumps(env2))])
    assert again and all(c.restamp and not c.score_moved for c in again)
    assert all(c.after.as_of == to_instant(decode(json.dumps(env2)).occurred_at) for c in again)


def _walk(log: Log, steps: list[str], months: tuple[str, ...] = ("2019-08",)) -> None:
    """Facts fixed; the scorer, asked at each step in turn, equals a full evaluation."""
    store = FactStore()
    for e in log.events:
        store.apply(decode(json.dumps(e)))
    scorer = IncrementalScorer(RULESET, store)
    for step in steps:
        t = to_instant(datetime.fromisoformat(at(step)))
        for unit in store.directory.scored_units():
            for month in months:
                assert scorer.evaluate(unit, month, t) == evaluate_unit(
                    RULESET, store.directory, store, unit, month, t), (unit, month, step)


def test_a_request_left_undecided_turns_late_at_its_deadline_without_new_facts() -> None:
    log = Log()
    log.register(DEPT2)
    request(log, DEPT2, "q1", "government", "2019-08-05 10:00")  # 3 working days: late from 08-09 00:00
    _walk(log, ["2019-08-06 00:00", "2019-08-08T23:59:59.999999+08:00", "2019-08-09 00:00",
                "2019-08-09T00:00:00.000001+08:00", "2019-08-20 00:00"])
    assert items(unit_score(log, DEPT2, "2019-08", as_of="2019-08-09 00:00")) == {"B1.9": "2"}


def test_every_batch_on_time_is_lost_when_a_later_batch_misses_its_deadline() -> None:
    log = Log()
    log.register(DEPT)
    c1, c2 = code(DEPT, 1), code(DEPT, 2)
    log.requirement(DEPT, "hf-1", "high_frequency", [c1], "2019-07-31", when="2019-06-01 09:00")
    log.requirement(DEPT, "hf-2", "high_frequency", [c2], "2019-08-20", when="2019-06-01 09:00")
    log.mount(DEPT, c1, "2019-07-10 10:00")
    _walk(log, ["2019-08-15 00:00", "2019-08-20T23:59:59.999999+08:00", "2019-08-21 00:00",
                "2019-08-21T00:00:00.000001+08:00", "2019-08-25 00:00"])
    assert "D5.3" in items(unit_score(log, DEPT, "2019-08", as_of="2019-08-15 00:00"))
    assert "D5.3" not in items(unit_score(log, DEPT, "2019-08", as_of="2019-08-22 00:00"))


def test_staleness_and_overdue_points_arrive_without_new_facts() -> None:
    log = Log()
    log.register(DEPT)
    codes = [code(DEPT, n) for n in (1, 2)]
    log.requirement(DEPT, "be-1", "business_environment", codes, "2019-06-30", when="2019-05-01 09:00")
    log.publish(DEPT, codes[0], "2019-07-01 09:00", cycle="weekly")
    log.mount(DEPT, codes[0], "2019-07-02 09:00")
    log.update(DEPT, codes[0], "2019-07-31 09:00")  # stale after 2019-08-07 09:00
    steps = ["2019-08-02 00:00", "2019-08-07 09:00", "2019-08-07T09:00:00.000001+08:00",
             "2019-08-07T09:00:00.000002+08:00", "2019-08-31T23:59:59.999999+08:00", "2019-09-01 00:00"]
    _walk(log, steps, months=("2019-07", "2019-08"))
    assert "B1.6" not in items(unit_score(log, DEPT, "2019-08", as_of="2019-08-07 09:00"))
    assert "B1.6" in items(unit_score(log, DEPT, "2019-08", as_of="2019-08-07T09:00:00.000001+08:00"))
