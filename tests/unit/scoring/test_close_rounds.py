"""A sharded close's pieces without servers: what counts as still between shards while all are held, a unit's
result handed from a shard to the closer and back to the same canonical bytes, and a shard scoring only its own
units of the month (together the shards' parts are the month)."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any, cast

import pytest
from contracts.fastdecode import decode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scoring.domain.clock import month_bounds
from scoring.domain.engine import evaluate, evaluating, month_result
from scoring.domain.facts import FactStore
from scoring.domain.result import UnitResult
from scoring.domain.ruleset import builtin_ruleset
from scoring.messaging import close_rounds as close_rounds_module
from scoring.messaging.close_rounds import Participant, in_flight
from scoring.messaging.shards import ShardPlan
from scoring.storage.close_rounds import Settled

from tests.scoring.eventgen import LogGen

PLAN = ShardPlan(2, 0, 4, routed_topic="routed", registry_topic="registry")
RULESET = builtin_ruleset()


def settled(offsets: dict[tuple[int, str, int], int], unsent: int = 0) -> Settled:
    return Settled(head=100, offsets=offsets, unsent=unsent)


CALM = {(0, "routed", 0): 5, (1, "routed", 1): 3, (0, "routed", 2): 0, (1, "routed", 3): 7,
        (0, "registry", 0): 4, (1, "registry", 0): 4, (0, "registry", 1): 2, (1, "registry", 1): 2,
        (0, "facts", 0): 10, (1, "facts", 1): 99}
ENDS = {0: 5, 1: 3, 2: 0, 3: 7}


def test_nothing_between_shards_when_every_routed_record_is_read_and_all_read_the_same_registrations() -> None:
    assert in_flight(settled(CALM), ENDS, PLAN) is None


def test_a_routed_record_not_sent_yet_is_in_flight() -> None:
    assert "not sent" in (in_flight(settled(CALM, unsent=1), ENDS, PLAN) or "")


def test_a_routed_record_its_reader_has_not_read_is_in_flight() -> None:
    why = in_flight(settled(CALM), ENDS | {3: 8}, PLAN)
    assert why is not None and "shard 1" in why and "partition 3" in why
    # a partition its reader never committed an offset of, with a record on it
    assert in_flight(settled({k: v for k, v in CALM.items() if k != (0, "routed", 2)}), ENDS | {2: 1}, PLAN)


def test_registrations_one_shard_has_read_and_another_not_are_in_flight() -> None:
    assert "registrations" in (in_flight(settled(CALM | {(1, "registry", 1): 3}), ENDS, PLAN) or "")
    missing = {k: v for k, v in CALM.items() if k != (0, "registry", 1)}
    assert in_flight(settled(missing), ENDS, PLAN) is not None


def store_of(seed: int) -> FactStore:
    rng = random.Random(seed)
    store = FactStore()
    for e in LogGen(rng).events(150):
        store.apply(decode(json.dumps(e).encode()))
    return store


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), month=st.sampled_from(["2019-06", "2019-07", "2019-08", "2019-09"]),
       shards=st.integers(2, 3))
def test_the_shards_parts_handed_over_in_canonical_form_are_the_month(seed: int, month: str, shards: int) -> None:
    store = store_of(seed)
    t = month_bounds(month)[1]
    whole = evaluate(RULESET, store.directory, store, month, t)
    assert whole.units
    owner = {u: random.Random(u).randrange(shards) for u in store.directory.units}
    handed = []
    for shard in range(shards):
        part = list(evaluating(RULESET, store.directory, store, month, t, lambda u, s=shard: owner[u] == s))
        assert all(owner[u.unit] == shard for u in part)
        handed += [UnitResult.from_canonical(json.loads(json.dumps(u.canonical())), month, u.as_of,
                                             RULESET.id, RULESET.version) for u in part]
    gathered = month_result(RULESET, month, t, tuple(sorted(handed, key=lambda u: u.unit)))
    assert gathered.canonical_json() == whole.canonical_json()
    assert [u.canonical_json() for u in gathered.units] == [u.canonical_json() for u in whole.units]
    assert [u.total for u in gathered.units] == [u.total for u in whole.units]


async def test_a_shard_whose_part_failed_takes_part_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure while looking for rounds (a connection lost, anything) must not leave every later close waiting
    on this shard until it gives up: the participant looks again."""
    monkeypatch.setattr(close_rounds_module, "LOOK_SECONDS", 0.01)
    participant, looks, again = Participant(cast(Any, None)), [], asyncio.Event()

    async def listen(pool: Any) -> None:
        looks.append(pool)
        if len(looks) < 3:
            raise RuntimeError("connection lost") if len(looks) == 1 else OSError("refused")
        again.set()
        await asyncio.sleep(60)

    monkeypatch.setattr(participant, "_listen", listen)
    task = asyncio.create_task(participant.serve(cast(Any, "pool")))
    try:
        await asyncio.wait_for(again.wait(), 5)
    finally:
        task.cancel()
    assert looks == ["pool"] * 3
