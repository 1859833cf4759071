"""Revoked tokens: refused by every service within moments, and still refused after a restart.

A revocation names one token (its `jti`) or a subject (every token of that subject issued at or
before an instant: a lost laptop, a person who left). Any service takes it (`POST /admin/revocations`,
`hub revoke`) and writes it to its outbox in the same transaction as its own copy; the relay
publishes it on one platform topic that every service follows from the beginning, with no consumer
group, so every instance of every service sees every revocation. Each service keeps what it has
read, with the offset it reached, in its own tables, in one transaction: a restart loads the list
from its database before the first request, broker or no broker, and goes on from that offset.

A revocation is kept until the tokens it covers have expired (`expires_at`): tokens live at most
12 hours, so the list stays small and is held in memory, where the check costs a dict lookup.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import asyncpg
import orjson
from aiokafka import TopicPartition
from aiokafka.errors import KafkaError, UnknownTopicOrPartitionError

from .auth import MAX_TOKEN_SECONDS
from .db import check_schema_name
from .telemetry import get_logger

if TYPE_CHECKING:
    from .auth import Principal
    from .settings import HubSettings

log = get_logger(__name__)
TOPIC = "hub.platform.token-revocations.v1"


@dataclass(frozen=True)
class Revocation:
    id: uuid.UUID
    jti: str | None  # one token ...
    subject: str | None  # ... or every token of a subject
    issued_before: int | None  # epoch seconds: the subject's tokens issued at or before this
    expires_at: int  # epoch seconds: when no covered token can be valid any more
    reason: str
    by: str

    def to_json(self) -> bytes:
        return orjson.dumps({"id": str(self.id), "jti": self.jti, "subject": self.subject,
                             "issued_before": self.issued_before, "expires_at": self.expires_at,
                             "reason": self.reason, "by": self.by})

    @classmethod
    def from_json(cls, raw: bytes) -> Revocation:
        d = orjson.loads(raw)
        if not (isinstance(d, dict) and (d.get("jti") or d.get("subject")) and isinstance(d.get("expires_at"), int)):
            raise ValueError("a revocation names a jti or a subject and when it expires")
        return cls(uuid.UUID(str(d["id"])), d.get("jti") or None, d.get("subject") or None,
                   d.get("issued_before"), d["expires_at"], str(d.get("reason", "")), str(d.get("by", "")))

    @classmethod
    def of_row(cls, r: asyncpg.Record) -> Revocation:
        return cls(r["id"], r["jti"], r["subject"], r["issued_before"], r["expires_at"], r["reason"], r["by"])


@dataclass
class RevocationList:
    """What this process knows is revoked; `loaded` once the database copy was read."""

    jtis: dict[str, int] = field(default_factory=dict)  # jti -> expires_at
    subjects: dict[str, int] = field(default_factory=dict)  # subject -> latest issued_before
    loaded: bool = False

    def add(self, r: Revocation) -> None:
        if r.jti:
            self.jtis[r.jti] = max(self.jtis.get(r.jti, 0), r.expires_at)
        if r.subject and r.issued_before is not None:
            self.subjects[r.subject] = max(self.subjects.get(r.subject, 0), r.issued_before)

    def revoked(self, who: Principal) -> bool:
        if who.jti and who.jti in self.jtis:
            return True
        before = self.subjects.get(who.subject)
        return before is not None and who.issued_at <= before

    def forget_expired(self, now: float) -> None:
        self.jtis = {j: e for j, e in self.jtis.items() if e > now}
        cutoff = now - MAX_TOKEN_SECONDS
        self.subjects = {s: b for s, b in self.subjects.items() if b > cutoff}


async def record(conn: asyncpg.Connection, schema: str, r: Revocation) -> bool:
    """Keep a revocation (inside the caller's transaction); False when it was known already."""
    return bool(await conn.fetchval(
        f"INSERT INTO {check_schema_name(schema)}.revocations "
        "(id, jti, subject, issued_before, expires_at, reason, by) VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT (id) DO NOTHING RETURNING true",
        r.id, r.jti, r.subject, r.issued_before, r.expires_at, r.reason, r.by))


async def load(pool: asyncpg.Pool, schema: str, into: RevocationList) -> None:
    rows = await pool.fetch(f"SELECT * FROM {check_schema_name(schema)}.revocations WHERE expires_at > $1",
                            int(time.time()))
    for r in rows:
        into.add(Revocation.of_row(r))
    into.loaded = True


class RevocationFollower:
    """Reads the platform topic from where this service got to, keeping each revocation and the offset
    in one transaction, and adds it to the in-memory list."""

    def __init__(self, settings: HubSettings, pool: asyncpg.Pool, schema: str, into: RevocationList) -> None:
        self.settings, self.pool, self.schema, self.into = settings, pool, check_schema_name(schema), into

    async def run(self) -> None:
        from .kafka import make_consumer

        consumer = make_consumer(self.settings, enable_auto_commit=False, group_id=None)
        await consumer.start()
        try:
            # A consumer without subscriptions knows no topic's partitions yet (the projection met this):
            # ask the broker, and read every partition, wherever the key put a revocation.
            known = (await consumer._client.fetch_all_metadata()).partitions_for_topic(TOPIC)
            if not known:
                raise UnknownTopicOrPartitionError(f"{TOPIC} is not on the broker yet")
            partitions = [TopicPartition(TOPIC, p) for p in sorted(known)]
            consumer.assign(partitions)
            ends = await consumer.end_offsets(partitions)
            stored = {r["kafka_partition"]: r["next_offset"] for r in await self.pool.fetch(
                f"SELECT kafka_partition, next_offset FROM {self.schema}.revocation_offsets")}
            for tp in partitions:
                at = stored.get(tp.partition, 0)
                # An offset beyond the end is from another log (a broker started anew): read it all again.
                consumer.seek(tp, at if at <= ends[tp] else 0)
            purged = time.monotonic()
            while True:
                batches = await consumer.getmany(timeout_ms=1000, max_records=500)
                for tp, records in batches.items():
                    await self._keep(tp.partition, records)
                if time.monotonic() - purged > 600:
                    await self._purge()
                    purged = time.monotonic()
        finally:
            await consumer.stop()

    async def _keep(self, partition: int, records: list[Any]) -> None:
        kept: list[Revocation] = []
        async with self.pool.acquire() as conn, conn.transaction():
            for rec in records:
                try:
                    r = Revocation.from_json(rec.value or b"")
                except (ValueError, TypeError) as exc:  # only the services may write the topic; still, skip
                    log.warning("unreadable revocation skipped", offset=rec.offset, error=str(exc))
                    continue
                await record(conn, self.schema, r)
                kept.append(r)
            await conn.execute(
                f"INSERT INTO {self.schema}.revocation_offsets (kafka_partition, next_offset) VALUES ($1, $2) "
                "ON CONFLICT (kafka_partition) DO UPDATE SET next_offset = GREATEST("
                f"{self.schema}.revocation_offsets.next_offset, EXCLUDED.next_offset)",
                partition, records[-1].offset + 1)
        for r in kept:
            self.into.add(r)

    async def _purge(self) -> None:
        now = time.time()
        await self.pool.execute(f"DELETE FROM {self.schema}.revocations WHERE expires_at < $1",
                                int(now) - MAX_TOKEN_SECONDS)
        self.into.forget_expired(now)


async def follow(settings: HubSettings, pool: asyncpg.Pool, schema: str, into: RevocationList) -> None:
    """Follow the topic for as long as the service runs; a broker away is waited for."""
    backoff = 0.5
    while True:
        try:
            await RevocationFollower(settings, pool, schema, into).run()
        except (KafkaError, OSError, TimeoutError) as exc:
            log.warning("revocations cannot be read; the list known so far applies", error=repr(exc))
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 10.0)


def new_revocation(*, jti: str | None, subject: str | None, issued_before: datetime | None, reason: str,
                   by: str, now: float | None = None) -> Revocation:
    now = time.time() if now is None else now
    before = None
    if subject:
        before = int((issued_before or datetime.fromtimestamp(now, UTC)).timestamp())
    # A jti's token expires within MAX_TOKEN_SECONDS of now; a subject's tokens within that of `before`.
    expires = int(now) + MAX_TOKEN_SECONDS if before is None else before + MAX_TOKEN_SECONDS
    return Revocation(uuid.uuid4(), jti or None, subject or None, before, expires, reason, by)
