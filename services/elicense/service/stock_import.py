"""The stock import use case: JSON Lines of structured licenses, streamed, committed in chunks.

The body is read as it arrives; every `import_chunk` good lines are checked, COPYed into a temp table,
moved into `licenses` (ids already there are skipped: a re-run import is harmless) and their
`elicense.license-pushed` events are COPYed into the outbox, all in one transaction. Memory holds one
chunk, whatever the size of the file. A bad line is reported with its number and reason and the rest
goes on; a line whose license id belongs to another issuer is reported the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import asyncpg
from contracts.elicense import AnomalyFound, LicenseFlagged
from contracts.workdays import SHANGHAI
from hubkit import outbox
from hubkit.outbox import EncodedEvents
from hubkit.telemetry import get_logger

from elicense.domain.anomalies import anomalies_of
from elicense.domain.license_types import LicenseType
from elicense.domain.licenses import CheckedLicense, LicenseInvalid, check, parse_line
from elicense.library import Library
from elicense.messaging.events import stock_pushed_rows
from elicense.storage import anomalies as anomaly_rows
from elicense.storage import licenses as repo

log = get_logger(__name__)
MAX_ERRORS = 1000


class StockImport:
    """One issuer's stock import; `run` reads the body and returns the report."""

    def __init__(self, pool: asyncpg.Pool, schema: str, library: Library, issuer: str, at: datetime,
                 first_line: int, types: dict[str, LicenseType]) -> None:
        self.pool, self.schema, self.issuer, self.at = pool, schema, issuer, at
        self.lib, self.types = library, types
        self.first_line = first_line
        self.line = first_line - 1
        self.batch: list[tuple[int, CheckedLicense]] = []
        self.accepted = self.duplicates = self.rejected = self.flagged = 0
        self.errors: list[dict[str, Any]] = []
        self.writing: asyncio.Task[None] | None = None

    def error(self, line: int, reason: str) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"line": line, "reason": reason})

    def take(self, raw: bytes) -> None:
        self.line += 1
        if not raw.strip():
            return
        try:
            self.batch.append((self.line, check(parse_line(raw), self.types, self.lib.hasher)))
        except LicenseInvalid as exc:
            self.error(self.line, str(exc))

    async def flush(self) -> None:
        """Hand the batch to a writer task: the next chunk is parsed and checked (this core) while the
        database writes this one (the other); one write in flight at a time, in order, so a failed
        write stops the import with every earlier chunk committed and no later one started."""
        if not self.batch:
            return
        batch, self.batch = self.batch, []
        await self.drain()
        self.writing = asyncio.create_task(self._write(batch))

    async def drain(self) -> None:
        if self.writing is not None:
            task, self.writing = self.writing, None
            await task

    async def _write(self, batch: list[tuple[int, CheckedLicense]]) -> None:
        rows = [repo.record(lic, self.issuer, "stock", self.at) for _, lic in batch]
        async with self.pool.acquire() as conn, conn.transaction():
            inserted = await repo.bulk_insert(conn, rows)
            await outbox.add_encoded(conn, self.schema, stock_pushed_rows(self.issuer, self.at, inserted))
            await self._check_data(conn, batch, {i for i, _ in inserted})
            skipped = len(batch) - len(inserted)
            if skipped:
                new = {i for i, _ in inserted}
                owners = await repo.owners(conn, [lic.license_id for _, lic in batch if lic.license_id not in new])
                for line, lic in batch:
                    if lic.license_id not in new and owners.get(lic.license_id, self.issuer) != self.issuer:
                        self.error(line, f"license_id: {lic.license_id} belongs to another issuer")
                        skipped -= 1
        self.accepted += len(inserted)
        self.duplicates += skipped

    async def _check_data(self, conn: asyncpg.Connection, batch: list[tuple[int, CheckedLicense]],
                          inserted: set[str]) -> None:
        """Abnormal data in the licenses this chunk added, as a single push would find it (without a file),
        flagged for the issuer in the same transaction; duplicates within the import are both flagged."""
        new = [lic for _, lic in batch if lic.license_id in inserted]
        if not new:
            return
        await anomaly_rows.keep_statistics(conn, len(new))
        same = await anomaly_rows.duplicates_among(conn, [lic.license_id for lic in new])
        pushed_on = self.at.astimezone(SHANGHAI).date()
        found = [(lic, a) for lic in new for a in anomalies_of(lic, pushed_on, same.get(lic.license_id, []))]
        if not found:
            return
        await anomaly_rows.flag_many(conn, [(lic.license_id, self.issuer, lic.license_type, a.code, a.detail, self.at)
                                            for lic, a in found])
        by_license: dict[str, list[AnomalyFound]] = {}
        for lic, a in found:
            by_license.setdefault(lic.license_id, []).append(AnomalyFound(code=a.code, detail=a.detail))
        types = {lic.license_id: lic.license_type for lic, _ in found}
        events = EncodedEvents(LicenseFlagged, self.issuer, self.at)
        await outbox.add_encoded(conn, self.schema, [events.row(LicenseFlagged(
            license_id=lid, license_type=types[lid], anomalies=anomalies).model_dump_json().encode())
            for lid, anomalies in by_license.items()])
        self.flagged += len(by_license)

    async def run(self, body: AsyncIterator[bytes]) -> dict[str, Any]:
        chunk = self.lib.settings.import_chunk
        rest = b""
        async for piece in body:
            lines = (rest + piece).split(b"\n")
            rest = lines.pop()
            for raw in lines:
                self.take(raw)
            if len(self.batch) >= chunk:
                await self.flush()
        if rest:
            self.take(rest)
        await self.flush()
        await self.drain()
        self.errors.sort(key=lambda e: e["line"])
        lines_read = self.line - self.first_line + 1
        log.info("stock import", issuer=self.issuer, lines=lines_read, accepted=self.accepted,
                 duplicates=self.duplicates, rejected=self.rejected)
        return {"issuer": self.issuer, "lines": lines_read, "accepted": self.accepted,
                "duplicates": self.duplicates, "rejected": self.rejected, "flagged": self.flagged,
                "errors": self.errors,
                "errors_truncated": self.rejected > len(self.errors)}
