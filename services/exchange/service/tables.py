"""Table exchange's write use case: a provider delivers a batch of row changes to its table resource.

All or nothing: a batch with one bad row stores no row, and the provider gets every row's errors back. Its
quality report is kept either way (accepted or refused, with the errors), so a provider's delivery quality
can be followed over time. An accepted batch is `exchange.table-batch-accepted`, which the catalog records as
the resource's update: freshness (B1.6) comes from what was delivered, not from what was said.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

import asyncpg
from contracts.exchange import TableBatchAccepted
from hubkit.auth import Principal, Role
from hubkit.problems import Problem, conflict, forbidden, invalid, not_found

from exchange.domain import tables
from exchange.service import commands as c
from exchange.service.ports import ExchangeUnitOfWork, Row
from exchange.storage import tables as rows


def provided(res: Row | None, actor: Principal, code: str, kind: str) -> Row:
    """The resource, if the actor is its provider and it is mounted as `kind` (a table or a file): only its
    provider delivers its data, and only through the channel it is mounted on."""
    if res is None:
        raise not_found("published resource", code)
    actor.require(Role.department)
    if res["provider"] != actor.unit:
        raise forbidden(f"only the provider of {code} delivers its data")
    if res["mount_kind"] != kind:
        raise conflict(f"{code} is not mounted as a {kind} (mount: {res['mount_kind'] or 'none'})")
    return res


def _deliverable(res: Row | None, cmd: c.DeliverBatch) -> list[tables.Column]:
    res = provided(res, cmd.actor, cmd.resource_code, "table")
    cols = tables.columns_of(res["items"] or [])
    if not cols:
        raise conflict(f"the catalog lists no information items of {cmd.resource_code}: rows cannot be checked "
                       "(add them to its metadata)")
    return cols


async def deliver_batch(cmd: c.DeliverBatch, uow: ExchangeUnitOfWork) -> dict[str, Any]:
    """The accepted batch's summary; a refused one raises 422 with its row errors (and its report kept)."""
    batch_id = f"tb-{uuid.uuid4().hex[:20]}"
    fmt = cast(tables.Format, cmd.format)
    base = {"batch_id": batch_id, "code": cmd.resource_code, "at": cmd.at, "fmt": fmt, "size": len(cmd.body)}
    async with uow:
        res = await uow.rows.resource(cmd.resource_code)
        cols = _deliverable(res, cmd)
        provider = cmd.actor.unit or ""
        try:
            checked = tables.check(cmd.body, fmt, cols)
        except tables.BatchUnreadable as exc:
            unreadable: str | None = str(exc)
        else:
            unreadable = None
            if not checked.error_count:
                first = await uow.tables.reserve(cmd.resource_code, len(checked.changes))
                present = await uow.tables.present(cmd.resource_code, list({ch.key for ch in checked.changes}))
                net = tables.against(checked, present)
        if unreadable is None and not checked.error_count:
            counts = tables.counts(checked)
            last = first + len(checked.changes) - 1
            await uow.tables.write(cmd.resource_code, batch_id, first,
                                   [(ch.op, ch.key, ch.row) for ch in checked.changes], net)
            await uow.tables.record_batch(**base, provider=provider, accepted=True, counts=counts, errors=0,
                                          report={}, first_seq=first, last_seq=last)
            uow.emit(TableBatchAccepted(batch_id=batch_id, resource_code=cmd.resource_code, first_seq=first,
                                        last_seq=last, **counts), unit=provider, at=cmd.at)
            await uow.commit()
            return {"batch_id": batch_id, "accepted": True, **counts, "first_seq": first, "last_seq": last}
    # Refused: nothing of it was stored (the transaction above rolled back); its report is kept on its own.
    if unreadable is not None:
        report: dict[str, Any] = {"unreadable": unreadable}
        counts, errors = {"rows": 0, "inserted": 0, "updated": 0, "deleted": 0}, 1
    else:
        report = {"errors": [e.as_dict() for e in checked.errors], "more": checked.error_count - len(checked.errors)}
        counts, errors = {**tables.counts(checked), "inserted": 0, "updated": 0, "deleted": 0}, checked.error_count
    async with uow:
        await uow.tables.record_batch(**base, provider=provider, accepted=False, counts=counts, errors=errors,
                                      report=report, first_seq=None, last_seq=None)
        await uow.commit()
    if unreadable is not None:
        raise invalid(f"body: {unreadable}", batch_id=batch_id)
    raise Problem(422, "Invalid request", f"{errors} error(s) in {counts['rows']} row(s); no row was stored",
                  kind="batch-refused", batch_id=batch_id, errors=report["errors"], more_errors=report["more"])


# Reads (the HTTP layer reaches storage only through the service layer).

async def batches(pool: asyncpg.Pool, code: str, limit: int, before: datetime | None) -> list[Row]:
    async with pool.acquire() as conn:
        return list(await rows.batches(conn, code, limit, before))


async def batch(pool: asyncpg.Pool, code: str, batch_id: str) -> Row | None:
    async with pool.acquire() as conn:
        return await rows.batch(conn, code, batch_id)


async def changes(pool: asyncpg.Pool, code: str, after: int, limit: int) -> list[Row]:
    async with pool.acquire() as conn:
        return list(await rows.changes(conn, code, after, limit))
