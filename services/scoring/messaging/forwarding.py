"""What a projection shard sends the others with a batch (scoring.domain.sharding): each routed event as
it was read, keyed by the unit the receiving shard owns, and a county's facts when its city becomes known.

The records go through the scoring outbox in the transaction that archives the batch and moves the
shard's offsets, so a routed event is sent once the batch counts and whatever happens after; their ids
are derived from the event, the sender and the receiver, so sending one again adds nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import asyncpg
from hubkit import outbox
from hubkit.outbox import EncodedRow

from scoring.domain.facts import EnvelopeLike
from scoring.domain.facts.registry import Directory
from scoring.domain.sharding import History, Route
from scoring.messaging.shards import ShardPlan
from scoring.storage import archive

ROUTE_IDS = uuid.UUID("9b0c5f64-3d51-4c8e-9a51-5f0f8a0f2c11")  # namespace of routed records' outbox ids


def routed_id(event_id: uuid.UUID, sender: int, receiver: int, via: str = "") -> uuid.UUID:
    return uuid.uuid5(ROUTE_IDS, f"{event_id}>{sender}>{receiver}{via}")


def route_rows(routes: list[tuple[Route, EnvelopeLike]], raw_of: dict[int, bytes], plan: ShardPlan) -> list[EncodedRow]:
    return [(routed_id(env.id, plan.index, route.shard), plan.routed_topic, route.unit.encode(), raw_of[env.id.int])
            for route, env in routes]


class CountyCities:
    """The city each county this shard owns had its facts sent to: a registration that names the same city
    again (a new name, an exemption) sends nothing."""

    def __init__(self) -> None:
        self.sent: dict[str, str] = {}

    def remember(self, directory: Directory, owns: Callable[[str], bool]) -> None:
        """After a rebuild: whatever the archive holds was committed, so its histories were sent."""
        self.sent = {unit: city for unit in directory.units if owns(unit)
                     and (city := directory.parent_of(unit)) is not None and not owns(city)}

    def due(self, histories: list[History]) -> list[History]:
        fresh = [h for h in histories if self.sent.get(h.unit) != h.city]
        self.sent.update((h.unit, h.city) for h in fresh)
        return fresh


async def send_histories(conn: asyncpg.Connection, histories: list[History], plan: ShardPlan) -> int:
    """Every fact this shard archived about each county, to its city's shard (after the batch's own rows
    are appended in this transaction: they count too)."""
    sent, shard = 0, plan.index
    for h in histories:
        held = await archive.held_about(conn, shard, h.unit)
        sent += await outbox.add_encoded_once(conn, "scoring", [
            (routed_id(event_id, shard, h.shard, f":{h.city}"), plan.routed_topic, h.city.encode(), envelope)
            for event_id, envelope in held])
    return sent
