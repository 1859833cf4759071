"""Where each partition is read on from after a change of the shard count (messaging/shards.regrouped)."""

from __future__ import annotations

from hubkit.logident import StoredPosition
from scoring.messaging.shards import regrouped


def at(offset: int) -> StoredPosition:
    return StoredPosition(offset, "cluster-a", offset.to_bytes(4, "big"))


# Two shards of four partitions: facts p0, p2 read by shard 0 and p1, p3 by shard 1; routed likewise; the registry
# by both (shard 1 behind on partition 0).
TWO = {(0, "facts", 0): at(10), (1, "facts", 1): at(11), (0, "facts", 2): at(12), (1, "facts", 3): at(13),
       (0, "routed", 0): at(5), (1, "routed", 1): at(6), (0, "routed", 2): at(7), (1, "routed", 3): at(8),
       (0, "registry", 0): at(4), (1, "registry", 0): at(3), (0, "registry", 1): at(2), (1, "registry", 1): at(2)}


def test_three_shards_each_read_on_their_partitions_from_where_the_old_reader_stood() -> None:
    three = regrouped(TWO, 3, routed_topic="routed", registry_topic="registry")
    assert {k: v.next_offset for k, v in three.items() if k[1] != "registry"} == {
        (0, "facts", 0): 10, (1, "facts", 1): 11, (2, "facts", 2): 12, (0, "facts", 3): 13,
        (0, "routed", 0): 5, (1, "routed", 1): 6, (2, "routed", 2): 7, (0, "routed", 3): 8}
    # every shard reads the registry from the earliest any had read (what memory has is skipped by id)
    assert {k: v.next_offset for k, v in three.items() if k[1] == "registry"} == {
        (s, "registry", p): o for s in range(3) for p, o in ((0, 3), (1, 2))}
    assert three[(2, "facts", 2)] == at(12)  # with the log it was stored in


def test_one_shard_reads_every_fact_partition_and_no_routed_one() -> None:
    one = regrouped(TWO, 1, routed_topic="routed", registry_topic="registry")
    assert {k: v.next_offset for k, v in one.items()} == {
        (0, "facts", 0): 10, (0, "facts", 1): 11, (0, "facts", 2): 12, (0, "facts", 3): 13,
        (0, "registry", 0): 3, (0, "registry", 1): 2}
    assert regrouped(one, 2, routed_topic="routed", registry_topic="registry") == {
        (0, "facts", 0): at(10), (1, "facts", 1): at(11), (0, "facts", 2): at(12), (1, "facts", 3): at(13),
        (0, "registry", 0): at(3), (1, "registry", 0): at(3), (0, "registry", 1): at(2), (1, "registry", 1): at(2)}
