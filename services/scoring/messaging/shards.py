"""Which partitions a projection shard reads, and which shard owns a unit: the shard reading the partition
the broker's default partitioner puts the unit's events in (they are keyed by unit). Every fact topic and
the routed topic must have one partition count, so that a unit's partition is the same in all of them."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer
from aiokafka.partitioner import murmur2
from contracts import ROUTED_TOPIC, topic_for
from hubkit.logident import StoredPosition

from scoring.domain.sharding import Shards

REGISTRY_TOPIC = topic_for("registry.unit-registered")  # every shard reads it whole (the directory)


def partition_of(key: bytes, partitions: int) -> int:
    """The broker clients' default partitioner (murmur2 of the key), as the outbox relay's producer uses it."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


@dataclass
class ShardPlan:
    count: int
    index: int
    partitions: int  # of every fact topic and of the routed topic
    routed_topic: str = ROUTED_TOPIC  # (a benchmark runs on topics of its own)
    registry_topic: str = REGISTRY_TOPIC
    _owners: dict[str, int] = field(default_factory=dict)
    shards: Shards = field(init=False)  # the routing rules, for this plan's ownership

    def __post_init__(self) -> None:
        self.shards = Shards(self.count, self.index, self.owner_of)

    def owner_of(self, unit: str) -> int:
        owner = self._owners.get(unit)
        if owner is None:
            owner = self._owners[unit] = partition_of(unit.encode(), self.partitions) % self.count
        return owner

    def reads(self, topic: str, partition: int) -> bool:
        return self.reads_as(self.index, topic, partition)

    def reads_as(self, shard: int, topic: str, partition: int) -> bool:
        """Whether shard `shard` reads that partition (the routed topic only when there are several)."""
        if topic == self.routed_topic:
            return self.count > 1 and partition % self.count == shard
        return self.count == 1 or topic == self.registry_topic or partition % self.count == shard


async def plan(consumer: AIOKafkaConsumer, count: int, index: int, topics: list[str],
               routed_topic: str = ROUTED_TOPIC) -> ShardPlan:
    """The plan for shard `index` of `count`, from the partition counts the broker has now (`topics`: the fact
    topics, the registry's among them)."""
    registry = next((t for t in topics if t.endswith(REGISTRY_TOPIC.removeprefix("hub"))), REGISTRY_TOPIC)
    if count == 1:
        return ShardPlan(1, 0, 1, routed_topic, registry)
    meta = await consumer._client.fetch_all_metadata()
    counts = {t: len(meta.partitions_for_topic(t) or ()) for t in [*topics, routed_topic]}
    if len(set(counts.values())) != 1 or 0 in counts.values():
        raise RuntimeError("sharded scoring needs every fact topic and the routed topic with one partition count; "
                           f"the broker has {sorted(set(counts.values()))}")
    partitions = counts[routed_topic]
    if partitions < count:
        raise RuntimeError(f"{count} shards need at least {count} partitions per topic; the broker has {partitions}")
    return ShardPlan(count, index, partitions, routed_topic, registry)


def regrouped(offsets: dict[tuple[int, str, int], StoredPosition], count: int, routed_topic: str = ROUTED_TOPIC,
              registry_topic: str = REGISTRY_TOPIC) -> dict[tuple[int, str, int], StoredPosition]:
    """The offsets `count` shards start from after a reshard (shard, topic, partition -> position): each partition
    from the earliest position any shard stored for it (one reader, or the registry read by every shard; what a
    shard reads again that memory has is skipped by id), given to each shard that reads it under the new count.
    With one shard the routed topic is not read: memory has every fact then, copies of the routed ones too."""
    earliest: dict[tuple[str, int], StoredPosition] = {}
    for (_, topic, partition), position in offsets.items():
        known = earliest.get((topic, partition))
        if known is None or position.next_offset < known.next_offset:
            earliest[(topic, partition)] = position
    plan = ShardPlan(count, 0, 1, routed_topic, registry_topic)
    return {(shard, topic, partition): position for (topic, partition), position in sorted(earliest.items())
            for shard in range(count) if plan.reads_as(shard, topic, partition)}
