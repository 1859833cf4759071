"""Group commit of call records: every gateway call is recorded before it is answered, but concurrent
calls share one transaction.

A call hands its record (and, for a failure, its `exchange.call-failed` envelope) to the recorder and
waits. If no flush is running one starts at once with everything pending; calls that arrive while it
runs are written together by the next one. A lone call therefore waits for one short transaction, and
under load one transaction carries many records, so the commit cost is shared. A record and its event
commit together (outbox), and a call is answered only after its record is durable: no call goes
unrecorded, even if the process dies right after.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from contracts import Envelope, encode
from hubkit import outbox
from hubkit.telemetry import current_trace_headers

from exchange.storage import repo


class CallRecorder:
    def __init__(self, schema: str = "exchange") -> None:
        self.schema = schema
        # (record, its event, the trace the call ran in, who waits): a flush writes many calls' events, each
        # continuing its own call's trace (the flush's task runs in whichever call's context started it)
        self._pending: list[tuple[dict[str, Any], Envelope | None, dict[str, str], asyncio.Future[None]]] = []
        self._flushing: asyncio.Task[None] | None = None
        self.flushes = 0

    async def record(self, pool: asyncpg.Pool, record: dict[str, Any], event: Envelope | None = None) -> None:
        """Return once the record (and its event) is committed; raise if that failed."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((record, event, current_trace_headers() if event is not None else {}, done))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._drain(pool))
        await asyncio.shield(done)

    async def _drain(self, pool: asyncpg.Pool) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                events = [(e, trace) for _, e, trace, _ in batch if e is not None]
                async with pool.acquire() as conn:
                    if not events:  # one statement is its own transaction: no BEGIN and COMMIT round trips
                        await repo.insert_calls(conn, [r for r, _, _, _ in batch])
                    else:
                        async with conn.transaction():
                            await repo.insert_calls(conn, [r for r, _, _, _ in batch])
                            await outbox.add_encoded(conn, self.schema,
                                                     [(e.id, e.topic, e.unit.encode(), encode(e)) for e, _ in events],
                                                     traces={e.id: trace for e, trace in events})
            except Exception as exc:
                for *_, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for *_, done in batch:
                    if not done.done():
                        done.set_result(None)
            self.flushes += 1

    async def close(self) -> None:
        """Let a running flush finish (shutdown)."""
        if self._flushing is not None and not self._flushing.done():
            await asyncio.wait([self._flushing], timeout=5)
