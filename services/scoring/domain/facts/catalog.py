"""A unit's catalog facts: requirement batches, publications, mounts and updates of its resources."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TypeAlias

import contracts.fastdecode as fast
from contracts import catalog as c

from scoring.domain.clock import Instant
from scoring.domain.facts.stamps import EventId, Stamp, earlier

Assigned: TypeAlias = c.RequirementAssigned | fast.RequirementAssigned
Published: TypeAlias = c.ResourcePublished | fast.ResourcePublished
Mounted: TypeAlias = c.ResourceMounted | fast.ResourceMounted
Updated: TypeAlias = c.ResourceUpdated | fast.ResourceUpdated


@dataclass(frozen=True, slots=True)
class Batch:
    stamp: Stamp
    kind: str
    codes: frozenset[str]
    deadline: date


@dataclass(slots=True)
class CatalogFacts:
    batches: dict[str, Batch] = field(default_factory=dict)  # batch id -> the latest assignment
    # batch id -> the assignments the latest one replaced, oldest first: an instant before a re-assignment
    # is judged by the assignment in force then (as a replay of that month, which never sees the later one)
    superseded: dict[str, list[Batch]] = field(default_factory=dict)
    published: dict[str, dict[EventId, tuple[Instant, str]]] = field(default_factory=dict)  # code -> (t, cycle)
    first_published: dict[str, Instant] = field(default_factory=dict)  # code -> earliest publication
    mounted: dict[str, Stamp] = field(default_factory=dict)  # code -> earliest mount
    updates: dict[str, dict[Instant, EventId]] = field(default_factory=dict)  # code -> t -> least id
    # code -> how many folds changed its publications, mount or updates: what a scorer derives from
    # one resource (sorted updates, staleness) stays valid while this is unchanged
    versions: dict[str, int] = field(default_factory=dict)

    def touch(self, code: str) -> None:
        self.versions[code] = self.versions.get(code, 0) + 1


def assign(facts: CatalogFacts, d: Assigned, s: Stamp) -> None:
    batch = Batch(s, str(d.batch_kind), frozenset(d.resource_codes), d.deadline)
    cur = facts.batches.get(d.batch_id)
    if cur is None:
        facts.batches[d.batch_id] = batch
        return
    if s == cur.stamp:
        return
    older = facts.superseded.setdefault(d.batch_id, [])
    if s > cur.stamp:  # a re-assignment of the same batch replaces it from its own instant on
        facts.batches[d.batch_id], batch = batch, cur
    if all(b.stamp != batch.stamp for b in older):
        older.append(batch)
        older.sort(key=lambda b: b.stamp)


def batches_at(facts: CatalogFacts, t: Instant) -> list[Batch]:
    """Every batch's assignment in force at t (batches not assigned by then left out)."""
    return [b for batch_id, latest in facts.batches.items() if (b := in_force(facts, batch_id, latest, t))]


def in_force(facts: CatalogFacts, batch_id: str, latest: Batch, t: Instant) -> Batch | None:
    """The assignment of a batch in force at t: the latest one made at or before t."""
    if latest.stamp[0] <= t:
        return latest
    for b in reversed(facts.superseded.get(batch_id, ())):
        if b.stamp[0] <= t:
            return b
    return None


def publish(facts: CatalogFacts, d: Published, s: Stamp) -> None:
    code = d.resource_code
    facts.touch(code)
    facts.published.setdefault(code, {})[s[1]] = (s[0], str(d.update_cycle))
    first = facts.first_published.get(code)
    if first is None or s[0] < first:
        facts.first_published[code] = s[0]


def mount(facts: CatalogFacts, d: Mounted, s: Stamp) -> None:
    if earlier(facts.mounted.get(d.resource_code), s):
        facts.mounted[d.resource_code] = s
        facts.touch(d.resource_code)


def update(facts: CatalogFacts, d: Updated, s: Stamp) -> None:
    code = d.resource_code
    facts.touch(code)
    times = facts.updates.get(code)
    if times is None:
        facts.updates[code] = {s[0]: s[1]}
        return
    cur = times.get(s[0])
    if cur is None or s[1] < cur:
        times[s[0]] = s[1]
