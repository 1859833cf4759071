"""Where the projection reads each fact partition from: the offset stored with its state, when that
offset belongs to the log the broker has now; otherwise the partition's beginning (`hubkit.logident`).

One instance owns all partitions, or each shard its own (messaging/shards.py), by static assignment:
without a consumer group a killed instance leaves no stale member behind to wait for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from contracts import topic_for
from contracts.fastdecode import PAYLOADS
from hubkit.logident import ClusterWatch, StoredPosition, fingerprint, position_problem
from hubkit.telemetry import get_logger

log = get_logger(__name__)
FACT_TOPICS = sorted(topic_for(t) for t in PAYLOADS)


@dataclass(frozen=True, slots=True)
class Assigned:
    watch: ClusterWatch  # tells when the broker turns out to be another cluster
    reset: int  # partitions read again from their beginning because their log was new


async def assign_fact_partitions(consumer: AIOKafkaConsumer, offsets: dict[tuple[str, int], StoredPosition],
                                 topics: list[str] = FACT_TOPICS,
                                 keep: Callable[[str, int], bool] = lambda topic, partition: True) -> Assigned:
    """Take every partition of every fact topic (that `keep`s: a shard's) and seek each to its stored offset,
    or to its beginning when the offset is missing or belongs to another log (such offsets are dropped
    from `offsets`)."""
    # fetch_all_metadata answers with the metadata; the consumer's own stays limited to its topics.
    cluster_meta = await consumer._client.fetch_all_metadata()
    missing = [t for t in topics if not cluster_meta.partitions_for_topic(t)]
    if missing:  # never consume "all partitions" of a topic the broker does not have yet
        raise RuntimeError(f"fact topics missing on the broker: {', '.join(missing)}")
    partitions = [TopicPartition(topic, p) for topic in topics
                  for p in sorted(cluster_meta.partitions_for_topic(topic)) if keep(topic, p)]
    consumer.assign(partitions)
    watch = ClusterWatch(consumer._client)
    cluster = await watch.current()
    starts = await consumer.beginning_offsets(partitions)
    ends = await consumer.end_offsets(partitions)
    problems: dict[TopicPartition, str] = {}
    to_verify: dict[TopicPartition, StoredPosition] = {}
    for tp in partitions:
        stored = offsets.get((tp.topic, tp.partition))
        if stored is None:
            await consumer.seek_to_beginning(tp)
        elif problem := position_problem(stored, cluster, starts[tp], ends[tp]):
            problems[tp] = problem
        elif stored.last_digest is not None and stored.next_offset - 1 >= starts[tp]:
            to_verify[tp] = stored
        else:
            consumer.seek(tp, stored.next_offset)
    problems.update(await verify_positions(consumer, to_verify))
    for tp in problems:
        await consumer.seek_to_beginning(tp)
        offsets.pop((tp.topic, tp.partition), None)
    if problems:
        log.warning("stored offsets belong to another log: reading those partitions again from the beginning",
                    partitions=len(problems), reasons=sorted(set(problems.values())), cluster=cluster)

    return Assigned(watch, len(problems))


async def verify_positions(consumer: AIOKafkaConsumer,
                           stored: dict[TopicPartition, StoredPosition]) -> dict[TopicPartition, str]:
    """Fetch the record before each stored offset: it must be the one consumed there last time."""
    if not stored:
        return {}
    for tp, position in stored.items():
        consumer.seek(tp, position.next_offset - 1)
    seen: dict[TopicPartition, ConsumerRecord] = {}
    deadline = time.monotonic() + 10
    while len(seen) < len(stored) and time.monotonic() < deadline:
        wanted = [tp for tp in stored if tp not in seen]
        batch = await consumer.getmany(*wanted, timeout_ms=200, max_records=len(wanted) * 50)
        for tp, records in batch.items():
            if records and tp not in seen:
                seen[tp] = records[0]
    problems: dict[TopicPartition, str] = {}
    for tp, position in stored.items():
        record = seen.get(tp)
        # Only a record at exactly that offset can be compared (compaction may have removed it).
        if record is not None and record.offset == position.next_offset - 1 \
                and fingerprint(record.value) != position.last_digest:
            problems[tp] = "another record before the offset"
        else:
            consumer.seek(tp, position.next_offset)
    return problems


def events_behind(ends: dict[TopicPartition, int], offsets: dict[tuple[str, int], StoredPosition]) -> int:
    """Events up to `ends` (the broker's end offsets) not committed with the state."""
    return sum(max(0, end - (p.next_offset if (p := offsets.get((tp.topic, tp.partition))) else 0))
               for tp, end in ends.items())


async def all_ends(consumer: AIOKafkaConsumer, topics: list[str]) -> dict[TopicPartition, int]:
    """The end offset of every partition of these topics now (whoever reads them)."""
    meta = await consumer._client.fetch_all_metadata()
    partitions = [TopicPartition(t, p) for t in topics for p in sorted(meta.partitions_for_topic(t) or ())]
    return dict(await consumer.end_offsets(partitions)) if partitions else {}
