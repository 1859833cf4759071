"""Stock import: JSON Lines of structured licenses, streamed, committed in chunks.

The body is read as it arrives; every `import_chunk` good lines are checked, COPYed into a temp table,
moved into `licenses` (ids already there are skipped: a re-run import is harmless) and their
`elicense.license-pushed` events are COPYed into the outbox, all in one transaction. Memory holds one
chunk, whatever the size of the file. A bad line is reported with its number and reason and the rest
goes on; a line whose license id belongs to another issuer is reported the same way.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any

from contracts.values import validate_uscc
from fastapi import APIRouter, Query, Request
from hubkit import outbox
from hubkit.auth import CurrentPrincipal
from hubkit.problems import Problem
from hubkit.telemetry import get_logger

from elicense.api.deps import SCHEMA, issuer_for, library, pool, write_instant
from elicense.domain.licenses import CheckedLicense, LicenseInvalid, check, parse_line
from elicense.messaging.events import stock_pushed_rows
from elicense.storage import licenses as repo

router = APIRouter(tags=["stock import"])
log = get_logger(__name__)
MAX_ERRORS = 1000


class _Import:
    def __init__(self, request: Request, issuer: str, at: datetime, first_line: int) -> None:
        self.request, self.issuer, self.at = request, issuer, at
        self.lib = library(request)
        self.line = first_line - 1
        self.batch: list[tuple[int, CheckedLicense]] = []
        self.accepted = self.duplicates = self.rejected = 0
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
            self.batch.append((self.line, check(parse_line(raw), self.lib.types, self.lib.hasher)))
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
        async with pool(self.request).acquire() as conn, conn.transaction():
            inserted = await repo.bulk_insert(conn, rows)
            await outbox.add_encoded(conn, SCHEMA, stock_pushed_rows(self.issuer, self.at, inserted))
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


@router.post("/licenses/import", summary="Stock import: JSON Lines of licenses (streamed, chunked commits)",
             openapi_extra={"requestBody": {"required": True, "content": {"application/x-ndjson": {
                 "schema": {"type": "string", "description": "one license object (as in POST /licenses, "
                            "field `license`) per line"}}}}})
async def stock_import(
    request: Request, principal: CurrentPrincipal,
    issuer: Annotated[str | None, Query(description="the bureau importing for an issuer")] = None,
    occurred_at: Annotated[datetime | None, Query(description="the bureau loading history only")] = None,
    first_line: Annotated[int, Query(ge=1, description="line number of the body's first line in the "
                                                       "caller's file, so errors name the file's lines")] = 1,
) -> dict[str, Any]:
    """Licenses already in the library (same id, same issuer) count as duplicates and emit nothing;
    each new one emits `elicense.license-pushed` (push_mode stock, no file)."""
    unit = issuer_for(principal, issuer)
    try:
        validate_uscc(unit)
    except ValueError as exc:
        raise Problem(422, "Invalid request", f"issuer: {exc}", kind="invalid-request") from None
    if occurred_at is not None and occurred_at.tzinfo is None:
        raise Problem(422, "Invalid request", "occurred_at: needs a UTC offset", kind="invalid-request")
    job = _Import(request, unit, write_instant(request, principal, occurred_at), first_line)
    chunk = job.lib.settings.import_chunk
    rest = b""
    async for piece in request.stream():
        lines = (rest + piece).split(b"\n")
        rest = lines.pop()
        for raw in lines:
            job.take(raw)
        if len(job.batch) >= chunk:
            await job.flush()
    if rest:
        job.take(rest)
    await job.flush()
    await job.drain()
    job.errors.sort(key=lambda e: e["line"])
    log.info("stock import", issuer=unit, lines=job.line - first_line + 1, accepted=job.accepted,
             duplicates=job.duplicates, rejected=job.rejected)
    return {"issuer": unit, "lines": job.line - first_line + 1, "accepted": job.accepted,
            "duplicates": job.duplicates, "rejected": job.rejected, "errors": job.errors,
            "errors_truncated": job.rejected > len(job.errors)}
