"""The monthly bulletin of a closed month (考核结果予以公开通报): HTML and PDF for everyone signed in, and the
same without a token at /public/bulletins/ once the bureau publishes bulletins (HUB_BULLETIN_PUBLIC)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from hubkit.auth import CurrentPrincipal
from hubkit.problems import Problem, not_found

from scoring.adapters import bulletin as document
from scoring.api import deps
from scoring.domain.bulletin import Bulletin
from scoring.service import queries

router = APIRouter(tags=["bulletin"])
READY_WAIT_SECONDS = 20.0


async def compiled(request: Request, month: str) -> Bulletin:
    deps.month_or_current(request, month)
    projector = deps.projector(request)
    try:  # the units' names come from the projection's directory, rebuilt from the archive at start
        await asyncio.wait_for(projector.ready.wait(), READY_WAIT_SECONDS)
    except TimeoutError:
        raise Problem(503, "Service Unavailable", "the projection is still being rebuilt from the archive; "
                      "try again shortly", kind="not-ready", retry_after_seconds=5) from None
    directory = projector.projection.store.directory
    names = {unit: (reg.name, reg.kind) for unit, reg in directory.units.items()}
    found = await queries.bulletin(deps.pool(request), month, names, deps.ruleset(request))
    if found is None:
        raise not_found("closed month", month)
    return found


def pdf_response(body: bytes, month: str) -> Response:
    return Response(body, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="bulletin-{month}.pdf"'})


@router.get("/months/{month}/bulletin", response_class=HTMLResponse, summary="A closed month's bulletin (HTML)")
async def bulletin_html(month: str, request: Request, principal: CurrentPrincipal) -> HTMLResponse:
    return HTMLResponse(document.html(await compiled(request, month), pdf_link=f"/months/{month}/bulletin.pdf"))


@router.get("/months/{month}/bulletin.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}}, summary="A closed month's bulletin (PDF)")
async def bulletin_pdf(month: str, request: Request, principal: CurrentPrincipal) -> Response:
    return pdf_response(await document.pdf(await compiled(request, month)), month)


def _published(request: Request) -> None:
    if not request.app.state.settings.bulletin_public:
        raise not_found("published bulletin", "(bulletins are not published: HUB_BULLETIN_PUBLIC)")


# The PDF's route first: {month} alone would also match "2019-08.pdf".
@router.get("/public/bulletins/{month}.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}},
            summary="A closed month's bulletin as PDF, published (no token; 404 unless HUB_BULLETIN_PUBLIC)")
async def public_pdf(month: str, request: Request) -> Response:
    _published(request)
    return pdf_response(await document.pdf(await compiled(request, month)), month)


@router.get("/public/bulletins/{month}", response_class=HTMLResponse,
            summary="A closed month's bulletin, published (no token; 404 unless HUB_BULLETIN_PUBLIC)")
async def public_html(month: str, request: Request) -> HTMLResponse:
    _published(request)
    return HTMLResponse(document.html(await compiled(request, month), pdf_link=f"/public/bulletins/{month}.pdf"))
