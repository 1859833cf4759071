"""The open-data catalog for the public (no token): open resources as JSON, a DCAT-AP JSON-LD feed and CSV."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response
from hubkit import deps

from catalog.domain import open_data
from catalog.service import queries

router = APIRouter(prefix="/open", tags=["open data"])
Q = Annotated[str | None, Query(max_length=100, description="words in the name, summary or items")]
LIMIT = Annotated[int, Query(ge=1, le=5000)]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("/resources", summary="Open resources (no token): published, open, shared without condition")
async def open_resources(request: Request, q: Q = None, limit: LIMIT = 500,
                         offset: Annotated[int, Query(ge=0)] = 0) -> list[dict[str, Any]]:
    return await queries.open_resources(deps.pool(request), q, limit, offset)


@router.get("/catalog.jsonld", summary="The open catalog as DCAT-AP (JSON-LD)",
            responses={200: {"content": {"application/ld+json": {}}}})
async def dcat(request: Request, limit: LIMIT = 5000) -> Response:
    views = await queries.open_resources(deps.pool(request), None, limit, 0)
    return Response(orjson.dumps(open_data.dcat_catalog(views, _base(request))), media_type="application/ld+json")


@router.get("/catalog.csv", summary="The open catalog as CSV (UTF-8)", responses={200: {"content": {"text/csv": {}}}})
async def csv_export(request: Request, limit: LIMIT = 5000) -> Response:
    views = await queries.open_resources(deps.pool(request), None, limit, 0)
    return Response(open_data.csv_text(views), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=open-catalog.csv"})
