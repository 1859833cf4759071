"""Scoring sharded by unit, on the model: N projections, each folding the events of the partitions it
reads, the registrations, and what the others forward to it (scoring.domain.sharding), in any
interleaving, end with exactly the results one projection of every event has, each unit scored by
one shard only."""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from contracts.fastdecode import decode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scoring.domain.activity import activity, merge
from scoring.domain.facts import EnvelopeLike
from scoring.domain.facts.store import UnitFacts
from scoring.domain.projection import Projection
from scoring.domain.result import UnitResult
from scoring.domain.ruleset import builtin_ruleset
from scoring.domain.sharding import BROADCAST, History, Route, Shards

from tests.scoring.builders import CITY, DEPT, DEPT2, OTHER_DEPT, code, uscc
from tests.scoring.eventgen import LogGen
from tests.scoring.test_incremental import _arrivals
from tests.scoring.test_live_equals_replay import consistent
from tests.scoring.test_live_equals_replay import live as one_projection

RULESET = builtin_ruleset()
CITY2 = uscc("450200", "00000006")
COUNTY2 = uscc("450203", "00000007")
Key = tuple[str, str]


def owner(count: int, salt: str) -> Callable[[str], int]:
    """Like the broker's: a unit's partition (of 6), and the partition's shard."""
    return lambda unit: zlib.crc32((salt + unit).encode()) % 6 % count


def with_a_moving_county(gen: LogGen, rng: random.Random) -> list[dict[str, Any]]:
    """The generator's log plus a second city and a county that changes cities, with facts about it
    that reach other units (attributed findings, unsealed uses of its licenses)."""
    events = gen.events(120)
    log = gen.log
    log.register(CITY2, kind="city")
    log.register(COUNTY2, kind="county", parent=CITY, when="2019-05-02 09:00")
    log.register(COUNTY2, kind="county", parent=CITY2, when=rng.choice(("2019-06-15 09:00", "2019-08-01 00:00")))
    for _ in range(12):
        when = gen.when()
        pick = rng.randrange(5)
        if pick == 0:
            log.finding(COUNTY2, "C2.1", "holds", when)
        elif pick == 1:
            log.finding(rng.choice((DEPT, CITY2)), "C3.1", "occurrence", when, count=1, attributed_unit=COUNTY2)
        elif pick == 2:
            log.add("elicense.license-used", rng.choice((DEPT, DEPT2, OTHER_DEPT)), when, license_id="LC",
                    issuer_unit=COUNTY2, sealed=False, waived_materials=1)
        elif pick == 3:
            log.mount(COUNTY2, code(COUNTY2, rng.randrange(1, 3)), when)
        else:
            log.finding(COUNTY2, "C3.2", "occurrence", when, count=2, attributed_unit=rng.choice((CITY, DEPT)))
    return consistent(events)


def about(env: EnvelopeLike, moved: set[str], unit: str) -> bool:
    """Whether a held event is a fact about `unit`: what `storage.archive.held_about` selects for a History."""
    return env.unit == unit or unit in moved


@dataclass
class Shard:
    shards: Shards
    projection: Projection
    inbox: list[Any] = field(default_factory=list)  # its fact partitions and what is forwarded to it
    registry: list[Any] = field(default_factory=list)  # the registry topic, read at its own pace
    pace: float = 0.5  # how often a step also takes the next registration
    held: list[tuple[EnvelopeLike, set[str]]] = field(default_factory=list)

    def step(self, n: int, others: list[Shard], rng: random.Random) -> None:
        k = (1 if rng.random() < self.pace else 0) if self.inbox else n
        batch, self.inbox, self.registry = self.inbox[:n] + self.registry[:k], self.inbox[n:], self.registry[k:]
        p = self.projection
        before = (p.watermark, p.earliest)
        applied: list[tuple[EnvelopeLike, set[str]]] = []
        touched = p.fold([env for env, _ in batch], applied)
        self.held += applied
        forwarded = {env.id.int for env, was_forwarded in batch if was_forwarded}
        routes, histories = self.shards.forwarding(applied, p.store.directory, forwarded)
        for route, env in routes:
            assert others[route.shard].shards.owns(route.unit)
            others[route.shard].inbox.append((env, True))
        for history in histories:
            assert others[history.shard].shards.owns(history.city)
            others[history.shard].inbox += [(env, True) for env, moved in self.held if about(env, moved, history.unit)]
        if rng.random() < 0.3:  # the committed frame of another shard, as read from the database
            peer = rng.choice(others).projection
            p.adopt(peer.watermark, peer.earliest)
        p.refresh(touched, p.months_to_sweep(*before))

    def settle(self, watermark: int | None, earliest: int | None) -> None:
        p = self.projection
        before = (p.watermark, p.earliest)
        p.adopt(watermark, earliest)
        p.refresh(set(), p.months_to_sweep(*before))


def sharded(arrivals: list[list[Any]], count: int, salt: str, rng: random.Random,
            owner_of: Callable[[str], int] | None = None, paces: list[float] | None = None,
            reference: Projection | None = None, miskeyed: float = 0.0) -> dict[Key, UnitResult]:
    """The shards' results together; with a `reference` (one projection of every event), also checks
    that each shard ends holding every fact about its units and its cities' counties."""
    owner_of = owner_of or owner(count, salt)
    shards = [Shard(Shards(count, i, owner_of), Projection(RULESET)) for i in range(count)]
    for i, s in enumerate(shards):
        s.projection.owns = s.shards.owns
        # some shards learn the directory long after others
        s.pace = paces[i] if paces is not None else rng.choice((0.05, 0.3, 1.0))
    for env in (e for batch in arrivals for e in batch):  # each partition's events, in their order
        if env.type in BROADCAST:
            for s in shards:
                s.registry.append((env, False))
        else:  # a few keyed by something else than their unit land on another shard's partition
            reader = rng.randrange(count) if rng.random() < miskeyed else owner_of(env.unit)
            shards[reader].inbox.append((env, False))
    while busy := [s for s in shards if s.inbox or s.registry]:
        rng.choice(busy).step(rng.randrange(1, 12), shards, rng)
    frames = [s.projection for s in shards if s.projection.watermark is not None]
    watermark = max(p.watermark for p in frames if p.watermark is not None)
    earliest = min(p.earliest for p in frames if p.earliest is not None)
    results: dict[Key, UnitResult] = {}
    for s in shards:
        s.settle(watermark, earliest)
        assert not set(results) & set(s.projection.published), "a unit scored by two shards"
        results.update(s.projection.published)
        if reference is not None:
            assert_holds_its_facts(s, reference)
    return results


def assert_holds_its_facts(shard: Shard, reference: Projection) -> None:
    store, everything = shard.projection.store, reference.store
    for unit in everything.units:
        city = everything.directory.parent_of(unit)
        if shard.shards.owns(unit) or (city is not None and shard.shards.owns(city)):
            assert comparable(store.facts(unit)) == comparable(everything.facts(unit)), (shard.shards.index, unit)


def comparable(facts: UnitFacts) -> UnitFacts:
    """The facts without the catalog's fold counters (they count folds, which differ with arrival order)."""
    return replace(facts, catalog=replace(facts.catalog, versions={}))


def single(arrivals: list[list[Any]]) -> dict[Key, UnitResult]:
    return one_projection(arrivals).published


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), count=st.integers(min_value=2, max_value=3))
def test_shards_together_score_exactly_what_one_projection_does(seed: int, count: int) -> None:
    rng = random.Random(seed)
    events = with_a_moving_county(LogGen(rng), rng)
    arrivals = _arrivals(events, rng)
    reference = one_projection(arrivals)
    assert sharded(arrivals, count, str(seed), rng, reference=reference, miskeyed=0.1) == reference.published
    assert sharded(arrivals, 1, "", rng) == reference.published


@pytest.mark.parametrize("salt", ["a", "b", "c", "d"])
def test_a_county_whose_registration_comes_last_still_counts_for_its_city(salt: str) -> None:
    rng = random.Random(7)
    events = with_a_moving_county(LogGen(rng), rng)
    envs = sorted((decode(json.dumps(e)) for e in events), key=lambda e: (e.occurred_at, e.id))
    registrations = [e for e in envs if e.type == "registry.unit-registered" and e.unit == COUNTY2]
    arrivals = [[e] for e in envs if e not in registrations] + [registrations]
    assert sharded(arrivals, 3, salt, rng) == single(arrivals)


def test_routes_go_to_the_owners_and_never_back() -> None:
    owner_of = {DEPT: 0, COUNTY2: 1, CITY2: 2, CITY: 0}.__getitem__
    log = LogGen(random.Random(1)).log
    log.register(CITY2, kind="city")
    log.register(COUNTY2, kind="county", parent=CITY2)
    use = decode(json.dumps(log.add("elicense.license-used", DEPT, "2019-07-02 10:00", license_id="L",
                                    issuer_unit=COUNTY2, sealed=False, waived_materials=0)))
    p = Projection(RULESET)
    applied: list[tuple[EnvelopeLike, set[str]]] = []
    p.fold([decode(json.dumps(e)) for e in log.events[:-1]] + [use], applied)
    moved = next(m for e, m in applied if e.id == use.id)
    assert moved == {DEPT, COUNTY2, CITY2}
    directory = p.store.directory
    # The reader (owner of DEPT) sends it to the county's owner and to the city's.
    assert Shards(3, 0, owner_of).routes(use, moved, directory) == [Route(1, COUNTY2), Route(2, CITY2)]
    # The county's owner sends it on to the city's; the city's owner sends it nowhere.
    assert Shards(3, 1, owner_of).routes(use, moved, directory, forwarded=True) == [Route(2, CITY2)]
    assert Shards(3, 2, owner_of).routes(use, moved, directory, forwarded=True) == []
    registration = next(e for e, _ in applied if e.type == "registry.unit-registered" and e.unit == COUNTY2)
    assert Shards(3, 1, owner_of).histories(registration, directory) == [History(2, COUNTY2, CITY2)]
    assert Shards(3, 0, owner_of).histories(registration, directory) == []
    assert Shards(1, 0, owner_of).routes(use, moved, directory) == []


def test_a_shard_behind_on_the_registry_forwards_to_the_county_whose_owner_sends_it_on() -> None:
    """The reader of a use has not read the county's registration yet: it sends the use to the county's
    owner only, which knows the county's city and sends it on: the city's shard holds every fact about
    its counties (today's rules read only a county's flags, recorded at the county itself; a rule that
    reads more must find them there)."""
    log = LogGen(random.Random(3)).log
    log.register(DEPT)
    log.register(CITY2, kind="city")
    log.register(COUNTY2, kind="county", parent=CITY2)
    for day in range(2, 9):
        log.add("elicense.license-used", DEPT, f"2019-07-0{day} 10:00", license_id=f"L{day}", issuer_unit=COUNTY2,
                sealed=False, waived_materials=0)
    arrivals = [[decode(json.dumps(e))] for e in log.events]
    owner_of = {DEPT: 0, COUNTY2: 1, CITY2: 2}.__getitem__
    reference = one_projection(arrivals)
    results = sharded(arrivals, 3, "", random.Random(1), owner_of, paces=[0.0, 1.0, 1.0], reference=reference)
    assert results == reference.published


@pytest.mark.parametrize("seed", range(3))
def test_the_activity_figures_of_the_shards_add_up_to_the_province(seed: int) -> None:
    rng = random.Random(seed)
    events = with_a_moving_county(LogGen(rng), rng)
    p = one_projection([[decode(json.dumps(e)) for e in events]])
    assert p.watermark is not None
    for t in (p.watermark, p.watermark - 40 * 86_400_000_000):
        whole = activity(p.store, t)
        for count in (2, 3):
            owner_of = owner(count, str(seed))
            parts = [activity(p.store, t, include=lambda u, i=i, o=owner_of: o(u) == i) for i in range(count)]
            assert merge(parts) == whole
    assert whole.catalog.required and whole.licenses.unpushed_by_unit and whole.licenses.licenses
