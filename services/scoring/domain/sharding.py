"""Several projection instances, each scoring the units it owns: where a fact must go besides the shard
that reads it.

A unit belongs to the shard that reads its partition of the fact topics (the partition its events are
keyed to), so every event normally reaches its own unit's shard first. Three kinds of fact reach
further: an unsealed license use moves the issuer's score, an attributed finding (and its retraction)
the attributed unit's, and a county's facts its city's. The shard that reads an event (from a fact
partition) forwards it to the owners of the other units it moves (of its own unit too, if it was keyed
otherwise); the owner of a county forwards the county's facts to the owner of its city, and when a
registration names a county's city (first, or a new one) it forwards every fact it holds about that
county there (every archived event of the county or moving it: `storage.archive.held_about`).
Registrations themselves go to every shard: each keeps the whole directory, which it needs to know what
a county is and whose it is.

Forwarding is safe to repeat (a shard folds an event once, by id) and complete whatever the order
of arrival: a fact about a county reaches the county's owner in any case, and that owner sends it
on either when it arrives (the city known) or when the registration does (the facts held).
No I/O: the messaging layer turns `Route`s into records and resolves `History` from its archive.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass

from scoring.domain.facts import EnvelopeLike
from scoring.domain.facts.registry import Directory

# Read by every shard in full, never forwarded.
BROADCAST = frozenset({"registry.unit-registered"})


@dataclass(frozen=True, slots=True)
class Route:
    """Send the event to `shard`, keyed by `unit` (a unit that shard owns)."""

    shard: int
    unit: str


@dataclass(frozen=True, slots=True)
class History:
    """Send every held fact about county `unit` to `shard`, keyed by `city` (its city, owned there)."""

    shard: int
    unit: str
    city: str


@dataclass(frozen=True, slots=True)
class Shards:
    count: int
    index: int
    owner_of: Callable[[str], int]  # the shard that reads the unit's partition

    def __post_init__(self) -> None:
        if not 0 <= self.index < self.count:
            raise ValueError(f"shard {self.index} of {self.count} does not exist")

    def owns(self, unit: str) -> bool:
        return self.count == 1 or self.owner_of(unit) == self.index

    def routes(self, env: EnvelopeLike, moved: set[str], directory: Directory, forwarded: bool = False) -> list[Route]:
        """Where an event this shard has just folded must go on: `moved` are the units whose scores it
        may change (FactStore.apply: the units it is about and, for counties, their cities); `forwarded`
        when another shard sent it here (else this shard read it from a fact partition: its source)."""
        if self.count == 1 or env.type in BROADCAST:
            return []
        source = not forwarded
        out: dict[int, str] = {}
        for unit in sorted(moved):
            shard = self.owner_of(unit)
            if shard == self.index:
                continue
            # The shard reading the event sends it to every other unit's owner; the owner of a county
            # it was forwarded to sends it on to the county's city.
            if source or any(self.owns(c) and directory.parent_of(c) == unit for c in moved):
                out.setdefault(shard, unit)
        return [Route(shard, unit) for shard, unit in sorted(out.items())]

    def histories(self, env: EnvelopeLike, directory: Directory) -> list[History]:
        """After a registration is folded: a county this shard owns whose city another shard owns has
        its facts sent there (they may have arrived here before anyone knew whose county it is)."""
        if self.count == 1 or env.type not in BROADCAST or not self.owns(env.unit):
            return []
        city = directory.parent_of(env.unit)
        if city is None or self.owns(city):
            return []
        return [History(self.owner_of(city), env.unit, city)]

    def forwarding(self, applied: Iterable[tuple[EnvelopeLike, set[str]]], directory: Directory,
                   forwarded: Container[int] = ()) -> tuple[list[tuple[Route, EnvelopeLike]], list[History]]:
        """Routes and histories for a folded batch (Projection.fold's `applied`), judged with the directory
        as the batch left it; `forwarded`: the ids (as ints) of the events other shards sent."""
        routes: list[tuple[Route, EnvelopeLike]] = []
        histories: list[History] = []
        for env, moved in applied:
            routes += [(route, env) for route in self.routes(env, moved, directory, env.id.int in forwarded)]
            histories += self.histories(env, directory)
        return routes, histories

