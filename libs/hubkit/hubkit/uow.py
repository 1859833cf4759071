"""The unit of work: one transaction around a use case, and the events it decided, written to the
outbox in that same transaction when it commits.

A handler takes a command and a unit of work, reads and writes through the repositories the unit of
work holds, says which events happened (`emit`) and commits. Nothing is written, and no event leaves,
unless `commit()` is reached: leaving the block without it (a refusal, an exception) rolls everything
back. Each service subclasses `AsyncpgUnitOfWork` to attach its repositories to the connection
(`_bind`) and `FakeUnitOfWork` to attach in-memory ones, so handlers are tested without a database.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

import asyncpg
from contracts import Envelope, new_envelope
from contracts.base import Payload

from . import outbox


class UnitOfWork(Protocol):
    events: list[Envelope]

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None: ...

    def emit(self, payload: Payload, *, unit: str, at: datetime) -> Envelope: ...

    def savepoint(self) -> contextlib.AbstractAsyncContextManager[None]: ...

    async def commit(self) -> None: ...


class _Events:
    """What every unit of work does with events: collect them in order, once per use case."""

    events: list[Envelope]

    def emit(self, payload: Payload, *, unit: str, at: datetime) -> Envelope:
        """Collect an event for the outbox (written at commit); the envelope, for the caller to answer with."""
        envelope = new_envelope(payload, unit=unit, occurred_at=at)
        self.events.append(envelope)
        return envelope


class AsyncpgUnitOfWork(_Events):
    """A connection and a transaction of the service's pool; events go to its outbox at commit."""

    def __init__(self, pool: asyncpg.Pool, schema: str) -> None:
        self.pool, self.schema = pool, schema
        self.events = []
        self.conn: Any = None
        self._tx: Any = None

    def _bind(self, conn: asyncpg.Connection) -> None:
        """Attach the service's repositories to the connection (subclasses)."""

    async def __aenter__(self) -> Self:
        self.conn = await self.pool.acquire()
        try:
            self._tx = self.conn.transaction()
            await self._tx.start()
        except BaseException:
            await self.pool.release(self.conn)
            raise
        self.events = []
        self._bind(self.conn)
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        try:
            if self._tx is not None:  # not committed: nothing happened
                await self._tx.rollback()
        finally:
            self._tx = None
            await self.pool.release(self.conn)

    @contextlib.asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A part that may fail on its own (one row of an import): its writes and events go with it."""
        mark = len(self.events)
        try:
            async with self.conn.transaction():
                yield
        except BaseException:
            del self.events[mark:]
            raise

    async def commit(self) -> None:
        assert self._tx is not None, "commit outside the unit of work, or twice"
        await outbox.add(self.conn, self.schema, self.events)
        await self._tx.commit()
        self._tx = None


class FakeUnitOfWork(_Events):
    """In memory, for handler tests: `committed` counts commits; `events` holds what was committed.
    Subclasses hold fake repositories whose state `_snapshot`/`_restore` copy, so that leaving the
    block without committing, or a failed savepoint, undoes their writes as a transaction would."""

    def __init__(self) -> None:
        self.events = []
        self.committed_events: list[Envelope] = []
        self.committed = 0
        self._saved: Any = None
        self._open = False

    def _snapshot(self) -> Any:
        return None

    def _restore(self, state: Any) -> None:
        """Put the repositories back as `_snapshot` found them (subclasses)."""

    async def __aenter__(self) -> Self:
        self.events = []
        self._saved, self._open = self._snapshot(), True
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._open:  # not committed: nothing happened
            self._restore(self._saved)
            self.events = []
        self._open = False

    @contextlib.asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        mark, state = len(self.events), self._snapshot()
        try:
            yield
        except BaseException:
            del self.events[mark:]
            self._restore(state)
            raise

    async def commit(self) -> None:
        assert self._open, "commit outside the unit of work, or twice"
        self.committed += 1
        self.committed_events += self.events
        self._open = False
