"""The dead-letter topic as an operator sees it: list, show one, re-drive it after a fix.

A letter's id is `<partition>-<offset>` on `hub.deadletter.v1`. Re-driving publishes the
original bytes, unchanged, to the original topic with the original key and a header naming
the letter; if the message fails again the new letter carries `redrive_of`, so a message
that keeps failing leaves a chain of letters, never a loop (nothing re-drives by itself).
Each re-drive is recorded (who, when, where the copy landed) in the re-driving service's schema.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import TopicAuthorizationFailedError
from contracts import DEADLETTER_TOPIC

from .kafka import REDRIVE_HEADER, make_consumer
from .settings import HubSettings

_ID = re.compile(r"^(\d{1,6})-(\d{1,18})$")


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class DeadLetter:
    id: str
    reason: str
    consumer: str
    topic: str
    partition: int
    offset: int
    key: str | None
    failed_at: str | None
    original_size: int
    original_sha256: str | None
    original: bytes | None  # None when it was too large to embed (read from its topic to re-drive)
    redrive_of: str | None

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "reason": self.reason, "consumer": self.consumer, "topic": self.topic,
                "partition": self.partition, "offset": self.offset, "key": self.key, "failed_at": self.failed_at,
                "original_size": self.original_size, "redrive_of": self.redrive_of}

    def detail(self) -> dict[str, Any]:
        text = None
        if self.original is not None:
            try:
                text = self.original.decode()
            except UnicodeDecodeError:
                text = None
        return {**self.summary(), "original_sha256": self.original_sha256,
                "original_b64": base64.b64encode(self.original).decode() if self.original is not None else None,
                "original_text": text}


def parse_id(letter_id: str) -> tuple[int, int]:
    match = _ID.match(letter_id)
    if not match:
        raise NotFound(f"{letter_id!r} is not a dead-letter id (<partition>-<offset>)")
    return int(match.group(1)), int(match.group(2))


def _letter(partition: int, offset: int, value: bytes | None) -> DeadLetter:
    doc = orjson.loads(value or b"{}")
    original = base64.b64decode(doc["original_b64"]) if doc.get("original_b64") is not None else None
    return DeadLetter(
        id=f"{partition}-{offset}", reason=str(doc.get("reason", "")), consumer=str(doc.get("consumer", "")),
        topic=str(doc.get("topic", "")), partition=int(doc.get("partition", -1)), offset=int(doc.get("offset", -1)),
        key=doc.get("key"), failed_at=doc.get("failed_at"),
        original_size=int(doc.get("original_size", len(original or b""))),
        original_sha256=doc.get("original_sha256"), original=original, redrive_of=doc.get("redrive_of"))


async def count(settings: HubSettings) -> int:
    """Letters on the topic now (what retention has not removed)."""
    consumer = make_consumer(settings, group_id=None)
    await consumer.start()
    try:
        parts = [TopicPartition(DEADLETTER_TOPIC, p) for p in
                 sorted((await consumer._client.fetch_all_metadata()).partitions_for_topic(DEADLETTER_TOPIC) or ())]
        if not parts:
            return 0
        starts, ends = await consumer.beginning_offsets(parts), await consumer.end_offsets(parts)
        return sum(ends[tp] - starts[tp] for tp in parts)
    finally:
        await consumer.stop()


async def read(settings: HubSettings, *, limit: int = 100, timeout: float = 10.0) -> list[DeadLetter]:
    """The newest `limit` letters, newest first (by failure time)."""
    consumer = make_consumer(settings, group_id=None)
    await consumer.start()
    try:
        meta = await consumer._client.fetch_all_metadata()
        parts = [TopicPartition(DEADLETTER_TOPIC, p) for p in sorted(meta.partitions_for_topic(DEADLETTER_TOPIC) or ())]
        if not parts:
            return []
        consumer.assign(parts)
        starts, ends = await consumer.beginning_offsets(parts), await consumer.end_offsets(parts)
        for tp in parts:  # only the last `limit` of each partition can be among the newest `limit`
            consumer.seek(tp, max(starts[tp], ends[tp] - limit))
        letters: list[DeadLetter] = []
        pending = {tp for tp in parts if ends[tp] > max(starts[tp], ends[tp] - limit)}
        deadline = asyncio.get_running_loop().time() + timeout
        while pending and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(*pending, timeout_ms=200)
            for tp, records in batch.items():
                letters += [_letter(r.partition, r.offset, r.value) for r in records if r.offset < ends[tp]]
                if records and records[-1].offset >= ends[tp] - 1:
                    pending.discard(tp)
        letters.sort(key=lambda d: d.failed_at or "", reverse=True)
        return letters[:limit]
    finally:
        await consumer.stop()


async def _record_at(settings: HubSettings, topic: str, partition: int, offset: int) -> tuple[bytes | None, Any]:
    consumer = make_consumer(settings, group_id=None)
    await consumer.start()
    try:
        tp = TopicPartition(topic, partition)
        consumer.assign([tp])
        consumer.seek(tp, offset)
        deadline = asyncio.get_running_loop().time() + 10
        while asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(tp, timeout_ms=200, max_records=1)
            for record in batch.get(tp, []):
                if record.offset == offset:
                    return record.value, record
                raise NotFound(f"{topic} has no record at {partition}-{offset} any more")
        raise NotFound(f"{topic} has no record at {partition}-{offset}")
    finally:
        await consumer.stop()


async def get(settings: HubSettings, letter_id: str) -> DeadLetter:
    partition, offset = parse_id(letter_id)
    value, _ = await _record_at(settings, DEADLETTER_TOPIC, partition, offset)
    return _letter(partition, offset, value)


async def redrive(settings: HubSettings, producer: AIOKafkaProducer, pool: asyncpg.Pool, letter_id: str,
                  *, actor: str, again: bool = False) -> dict[str, Any]:
    """Publish the letter's original back to its topic and record that it was done. A letter
    re-driven before is refused unless `again` (an operator who fixed something else since)."""
    letter = await get(settings, letter_id)
    previous = await pool.fetchrow("SELECT redriven_at, actor FROM redrives WHERE letter_id = $1 "
                                   "ORDER BY redriven_at DESC LIMIT 1", letter.id)
    if previous is not None and not again:
        raise AlreadyRedriven(f"dead letter {letter.id} was re-driven at {previous['redriven_at'].isoformat()} "
                              f"by {previous['actor']}")
    original = letter.original
    if original is None:  # too large to embed: take it from its own topic while retention keeps it
        original, _ = await _record_at(settings, letter.topic, letter.partition, letter.offset)
        if letter.original_sha256 and hashlib.sha256(original or b"").hexdigest() != letter.original_sha256:
            raise NotFound(f"the record at {letter.topic} {letter.partition}-{letter.offset} is not the original")
    try:
        sent = await producer.send_and_wait(
            letter.topic, value=original, key=letter.key.encode() if letter.key else None,
            headers=[(REDRIVE_HEADER, letter.id.encode())])
    except TopicAuthorizationFailedError:  # on an authenticated broker only the topic's publisher may
        raise NotPermitted(f"this service may not write to {letter.topic}; re-drive it from "
                           f"{owner_of(letter.topic) or 'the service that publishes it'}") from None
    await pool.execute(
        "INSERT INTO redrives (letter_id, actor, topic, kafka_partition, kafka_offset) VALUES ($1, $2, $3, $4, $5)",
        letter.id, actor, letter.topic, sent.partition, sent.offset)
    return {"letter": letter.id, "topic": letter.topic, "partition": sent.partition, "offset": sent.offset}


class AlreadyRedriven(Exception):
    pass


class NotPermitted(Exception):
    pass


def owner_of(topic: str) -> str | None:
    """The service that publishes a topic (`hub.<type>.v<n>`), which may re-drive to it."""
    from contracts.event_types import REGISTRY

    from .runtime.access import PUBLISHER

    event_type = topic.removeprefix("hub.").rsplit(".v", 1)[0]
    cls = REGISTRY.get(event_type)
    return PUBLISHER.get(cls.SOURCE) if cls is not None else None
