"""Which log is this? The broker's cluster id, and a fingerprint of the last record consumed.

An offset means something only in the log it was read from. A broker that lost its log
(Tansu keeps it in memory; a Kafka whose data directory was wiped) starts again at offset 0,
and a consumer that seeks to its old offset silently skips every event published since.
So whoever keeps an offset keeps the cluster id with it, and where it keeps its own offsets
(the scoring projection) also a digest of the record just before the offset: on start the
record found there must be the same one, or the partition is read again from its beginning
(consumers dedupe on envelope ids, so reading again never counts twice).

A topic deleted and created again keeps the cluster id; the fingerprint catches that case
too, and on any broker (Kafka's topic ids need a Metadata request newer than aiokafka speaks).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from typing import Any

from aiokafka.protocol.metadata import MetadataRequest

from .telemetry import get_logger

log = get_logger(__name__)
CHECK_SECONDS = 2.0  # how often a running consumer or relay asks whether the log is still the same


def fingerprint(value: bytes | None) -> bytes:
    """Sixteen bytes that identify a record's value (a SHA-256 prefix)."""
    return hashlib.sha256(value or b"").digest()[:16]


async def cluster_id(client: Any) -> str:
    """The cluster id the broker reports (Metadata v2+), through an aiokafka client's connection.

    `client` is the `_client` of an AIOKafkaConsumer or AIOKafkaProducer (aiokafka keeps the id
    out of its cluster metadata, so it is asked for directly)."""
    node = client.get_random_node()
    if node is None:
        await client.force_metadata_update()
        node = client.get_random_node()
    response = await client.send(node, MetadataRequest([]))
    found = getattr(response, "cluster_id", None)
    if not found:
        raise RuntimeError("the broker reported no cluster id")
    return str(found)


class ClusterWatch:
    """Remembers the cluster id a loop started on and tells, at most every CHECK_SECONDS, whether
    the broker has become another cluster since (a broker that came back with a new log)."""

    def __init__(self, client: Any, known: str | None = None) -> None:
        self.client, self.known = client, known
        self._checked = 0.0

    async def current(self) -> str:
        found = await asyncio.wait_for(cluster_id(self.client), 10)
        self._checked = time.monotonic()
        if self.known is None:
            self.known = found
        return found

    async def changed(self) -> str | None:
        """The new cluster id when the broker is another cluster now; None when unchanged, not yet
        due for a check, or unreachable (a broker that is down has not changed yet).

        A change is reported once: a caller that cannot act on it now (no partitions yet, topics not
        back yet) must remember it until it has (see OutboxRelay._follow_cluster)."""
        if time.monotonic() - self._checked < CHECK_SECONDS:
            return None
        try:
            found = await self.current()
        except Exception as exc:  # unreachable now: ask again later
            self._checked = time.monotonic()
            log.debug("cluster id unavailable", error=repr(exc))
            return None
        if found != self.known:
            log.warning("the broker is another cluster now: its log is new", was=self.known, now=found)
            self.known = found
            return found
        return None


@dataclass(frozen=True, slots=True)
class StoredPosition:
    """Where a consumer that keeps its own offsets is in one partition, and in which log."""

    next_offset: int
    cluster_id: str | None  # None: stored before clusters were recorded (read again to be sure)
    last_digest: bytes | None  # fingerprint of the record at next_offset - 1


def position_problem(stored: StoredPosition, cluster: str, start: int, end: int) -> str | None:
    """Why a stored position cannot be trusted in the partition the broker has now, or None.

    `start`/`end` are the partition's first and next offsets. The record before the offset is
    compared separately (it has to be fetched); this is what the broker's metadata tells."""
    if stored.cluster_id != cluster:
        return "new cluster" if stored.cluster_id else "cluster unknown"
    if stored.next_offset > end:
        return "offset beyond the end of the log"
    return None
