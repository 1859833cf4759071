"""Table exchange (库表交换): providers deliver change batches of their table resources, subscribers read the
changes by cursor, and every batch's quality report can be looked up."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Any

import orjson
from contracts.values import ResourceCode
from fastapi import APIRouter, Header, Path, Query, Request, Response
from hubkit import deps
from hubkit.auth import CurrentPrincipal, Principal, Role
from hubkit.deps import pool
from hubkit.problems import Problem, forbidden, not_found

from exchange.api import deliveries
from exchange.api.common import local_iso, uow
from exchange.api.deliveries import read_body
from exchange.service import admission, queries
from exchange.service import commands as c
from exchange.service import tables as use_case
from exchange.settings import exchange_settings

router = APIRouter(tags=["tables"])
_FORMATS = {"application/x-ndjson": "jsonl", "application/jsonl": "jsonl", "application/json-lines": "jsonl",
            "text/csv": "csv"}
_JSONL_EXAMPLE = '{"op": "insert", "row": {"统一社会信用代码": "91450100MA5K000001", "名称": "某公司"}}\n'
_CSV_EXAMPLE = "_op,统一社会信用代码,名称\ninsert,91450100MA5K000001,某公司\n"
_BATCH_BODY = {"requestBody": {"required": True, "content": {
    "application/x-ndjson": {"schema": {"type": "string"}, "example": _JSONL_EXAMPLE},
    "text/csv": {"schema": {"type": "string"}, "example": _CSV_EXAMPLE}}}}


def _max_bytes(request: Request) -> int:
    return exchange_settings(request.app.state.host.settings).table_batch_max_bytes


@router.post("/tables/{code}/batches", status_code=201, openapi_extra=_BATCH_BODY,
             summary="The provider delivers a batch of row changes to its table resource (JSON Lines or CSV)",
             responses={413: {"description": "over the batch size limit"},
                        415: {"description": "neither JSON Lines nor CSV"},
                        422: {"description": "rows that do not match the resource's information items (each with its "
                                             "line, item and reason): no row is stored; the report is kept"}})
async def deliver(code: ResourceCode, request: Request, principal: CurrentPrincipal,
                  content_type: Annotated[str, Header()] = "") -> dict[str, Any]:
    """Each row is checked against the information items the catalog published (type, length, required and key
    items, no unknown item); inserts need a new key, updates and deletes a stored one. All rows are stored or
    none. An accepted batch is the resource's update (`exchange.table-batch-accepted`, then the catalog's
    `catalog.resource-updated` with origin delivery)."""
    fmt = _FORMATS.get(content_type.split(";")[0].strip().lower())
    if fmt is None:
        raise Problem(415, "Unsupported media type", "send application/x-ndjson (JSON Lines) or text/csv",
                      kind="unsupported-media-type")
    body = await read_body(request, _max_bytes(request), "batch")
    cmd = c.DeliverBatch(actor=principal, resource_code=code, body=body, format=fmt, at=deps.now(request))
    return await use_case.deliver_batch(cmd, uow(request))


async def _owned(request: Request, principal: Principal, code: str) -> Any:
    res = await queries.resource(pool(request), code)
    if res is None:
        raise not_found("published resource", code)
    if principal.role is Role.department and res["provider"] != principal.unit:
        raise forbidden(f"only the provider of {code} and the bureau see its batches")
    return res


def _batch(r: Any) -> dict[str, Any]:
    out = {k: r[k] for k in ("id", "resource_code", "provider", "format", "bytes", "accepted", "rows", "inserted",
                             "updated", "deleted", "errors", "first_seq", "last_seq")}
    return out | {"received_at": local_iso(r["received_at"])}


@router.get("/tables/{code}/batches", summary="The resource's delivered batches with their quality, newest first")
async def batches(code: ResourceCode, request: Request, principal: CurrentPrincipal,
                  before: Annotated[datetime | None, Query(description="received before (RFC 3339)")] = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    if before is not None and before.tzinfo is None:
        raise Problem(422, "Invalid request", "before: give the instant with its offset", kind="invalid-request")
    await _owned(request, principal, code)
    found = await use_case.batches(pool(request), code, limit, before)
    accepted = sum(1 for r in found if r["accepted"])
    return {"batches": [_batch(r) for r in found], "accepted": accepted, "refused": len(found) - accepted}


@router.get("/tables/{code}/batches/{batch_id}", summary="One batch's quality report (its row errors, if refused)")
async def batch(code: ResourceCode, batch_id: Annotated[str, Path(max_length=100)], request: Request,
                principal: CurrentPrincipal) -> dict[str, Any]:
    await _owned(request, principal, code)
    found = await use_case.batch(pool(request), code, batch_id)
    if found is None:
        raise not_found("batch", batch_id)
    return _batch(found) | {"report": found["report"]}


@router.get("/tables/{code}/changes",
            summary="A subscriber reads the table's changes after a cursor position (needs a usable subscription)",
            responses={403: {"description": "no usable subscription"}, 429: {"description": "over the quota"}})
async def changes(code: ResourceCode, request: Request,
                  after: Annotated[int, Query(ge=0, lt=2**63, description="the previous read's `next` (0: the start)")
                                   ] = 0,
                  limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
                  key: Annotated[str | None, Header(alias=admission.KEY_HEADER)] = None) -> Response:
    """Changes in cursor order: `{"changes": [{seq, op, key, row, batch_id, at}], "next": N, "more": bool}`;
    read again with `after=next` until `more` is false. Each read is recorded like a gateway call (channel
    table) and counts against the subscription's quota."""
    who = await admission.caller(pool(request), request.scope.get("state", {}).get("principal"), key)
    started = deps.now(request)
    clock = time.perf_counter()
    admitted = await deliveries.admit(request, who, code, started, "table")
    if admitted.route["mount_kind"] != "table":
        raise Problem(409, "Conflict", f"{code} is not mounted as a table", kind="conflict")
    found = await use_case.changes(pool(request), code, after, limit + 1)
    more = len(found) > limit
    found = found[:limit]
    body = orjson.dumps({
        "changes": [{"seq": r["seq"], "op": r["op"], "key": orjson.Fragment(r["key"]),
                     "row": orjson.Fragment(r["row"]) if r["row"] is not None else None, "batch_id": r["batch_id"],
                     "at": local_iso(r["received_at"])} for r in found],
        "next": found[-1]["seq"] if found else after, "more": more})
    duration = (time.perf_counter() - clock) * 1000
    call_id = await deliveries.record(request, who, admitted.route["provider"], code, started, duration, 200,
                                      len(body), "table")
    return Response(body, media_type="application/json", headers={"X-Hub-Call-Id": call_id})

