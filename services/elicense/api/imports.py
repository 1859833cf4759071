"""Stock import over HTTP: JSON Lines streamed into `service.stock_import`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from contracts.values import validate_uscc
from fastapi import APIRouter, Query, Request
from hubkit.auth import CurrentPrincipal
from hubkit.problems import Problem

from elicense.api.deps import SCHEMA, issuer_for, library, license_types, pool, write_instant
from elicense.service.stock_import import StockImport

router = APIRouter(tags=["stock import"])


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
    job = StockImport(pool(request), SCHEMA, library(request), unit, write_instant(request, principal, occurred_at),
                      first_line, await license_types(request))
    return await job.run(request.stream())
