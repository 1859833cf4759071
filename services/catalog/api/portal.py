"""The catalog portal: server-rendered pages (they work with scripts blocked) to browse the catalog the way
people browse CKAN or DataHub: search with facets, a resource's page (metadata, versions as differences,
mount, freshness, what feeds what, a link into the exchange's request form), a unit's catalog and its
requirement progress, and the open-data page anyone may read."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode

from contracts.code_lists import CatalogKind
from fastapi import APIRouter, Cookie, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from hubkit import deps
from hubkit.auth import Principal, Role
from hubkit.pages import local_time, session_principal

from catalog.api.common import settings_of
from catalog.api.portal_labels import LABELS, Lang
from catalog.api.resources import sees_access
from catalog.domain import portal_views as views
from catalog.domain.freshness import freshness
from catalog.service import queries

router = APIRouter(prefix="/portal", tags=["portal"], include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
COOKIE = "hub_portal"
READERS = (Role.department, Role.operator, Role.auditor, Role.inspector)
Session = Annotated[str | None, Cookie(alias=COOKIE)]


def _local(value: Any) -> str:
    return local_time(value, "%Y-%m-%d %H:%M")


templates.env.filters["local"] = _local
templates.env.filters["shown"] = views.shown


def page(request: Request, name: str, lang: Lang, heading: str, status_code: int = 200, who: Principal | None = None,
         **context: Any) -> Response:
    query = dict(request.query_params)
    query["lang"] = "en" if lang == "zh" else "zh"
    return templates.TemplateResponse(request, name, {
        "lang": lang, "t": LABELS[lang], "v": LABELS[lang]["values"], "heading": heading,
        "switch_url": request.url.path + "?" + urlencode(query), "fields": views.FIELDS, "who": who, **context,
    }, status_code=status_code)


def reader(request: Request, session: str | None) -> Principal | None:
    """Who is signed in (None: nobody, or a token that may not read the portal)."""
    return session_principal(request, session, READERS)


def _viewer_unit(who: Principal) -> str | None:
    return who.unit if who.role is Role.department else None


@router.get("", response_class=HTMLResponse)
async def search(
    request: Request, session: Session = None, lang: Lang = "zh",
    q: Annotated[str | None, Query(max_length=100)] = None, unit: Annotated[str | None, Query(max_length=18)] = None,
    catalog: CatalogKind | None = None, domain: Annotated[str | None, Query(max_length=100)] = None,
    share_type: Annotated[str | None, Query(pattern="^(unconditional|conditional|not_shared)$")] = None,
    update_cycle: Annotated[str | None, Query(pattern="^(realtime|daily|weekly|monthly|quarterly|yearly)$")] = None,
    mounted: Annotated[str | None, Query(pattern="^(yes|no)$")] = None,
    fresh: Annotated[str | None, Query(pattern="^(fresh|stale|unmounted)$")] = None,
) -> Response:
    t = LABELS[lang]
    who = reader(request, session)
    if who is None:
        return page(request, "portal_login.html", lang, t["login"], status_code=401)
    viewer, now = _viewer_unit(who), deps.now(request)
    found = await queries.resources(
        deps.pool(request), unit=unit or None, catalog=catalog, domain=domain or None, share_type=share_type,
        update_cycle=update_cycle, q=q or None, mounted=None if mounted is None else mounted == "yes",
        include_drafts_of=viewer, as_of=None, limit=1000, offset=0, viewer=viewer)
    found = views.keep(found, now, fresh)
    chosen = {k: v for k, v in {"q": q, "unit": unit, "catalog": catalog, "domain": domain, "share_type": share_type,
                                "update_cycle": update_cycle, "mounted": mounted, "fresh": fresh}.items() if v}
    units = {u.uscc: u.name for u in await queries.units(deps.pool(request), kind=None, parent=None, q=None)}
    rows = [(r, views.facet_values(r, now)) for r in found]
    return page(request, "portal_search.html", lang, t["search"], who=who, rows=rows, facets=views.facets(found, now),
                chosen=chosen, units=units, link=lambda **kw: _link(lang, chosen, kw))


def _link(lang: Lang, chosen: dict[str, str], change: dict[str, str | None]) -> str:
    """The search with one facet set (or, given None, cleared), the others kept."""
    query = {k: v for k, v in ({**chosen, **change}).items() if v} | {"lang": lang}
    return "/portal?" + urlencode(query)


@router.get("/resources/{code}", response_class=HTMLResponse)
async def resource_page(code: str, request: Request, session: Session = None, lang: Lang = "zh") -> Response:
    t = LABELS[lang]
    who = reader(request, session)
    if who is None:
        return page(request, "portal_login.html", lang, t["login"], status_code=401)
    pool, viewer, now = deps.pool(request), _viewer_unit(who), deps.now(request)
    resource = await queries.resource(pool, code)
    if resource is None or resource.hidden_from(viewer):  # another unit's draft is as unknown as a made-up code
        return page(request, "portal_missing.html", lang, t["not_found"], status_code=404, who=who, what=code)
    found, _ = await queries.versions(pool, code)
    gathers, gathered_by, same = await queries.feeds(pool, resource, viewer)
    fresh = freshness(resource.last_update_at, resource.metadata.update_cycle, now) if resource.last_update_at \
        else None
    unit = await queries.unit(pool, resource.provider)
    reviews = await queries.reviews_of(pool, code) if sees_access(who, resource.provider) else []
    use = await queries.usage(pool, code)
    exchange = settings_of(request).exchange_url.rstrip("/")
    request_url = f"{exchange}/portal/requests/new?" + urlencode({"resource_code": code, "lang": lang})
    return page(request, "portal_resource.html", lang, resource.metadata.name, who=who, r=resource,
                meta=resource.metadata.model_dump(mode="json"), unit=unit, fresh=fresh,
                versions=views.version_diffs(found), gathers=gathers, gathered_by=gathered_by, same=same,
                reviews=reviews, use=use, own=viewer == resource.provider, request_url=request_url,
                labels={key: zh if lang == "zh" else en for key, zh, en in views.FIELDS})


@router.get("/units/{uscc}", response_class=HTMLResponse)
async def unit_page(uscc: str, request: Request, session: Session = None, lang: Lang = "zh") -> Response:
    t = LABELS[lang]
    who = reader(request, session)
    if who is None:
        return page(request, "portal_login.html", lang, t["login"], status_code=401)
    pool, viewer, now = deps.pool(request), _viewer_unit(who), deps.now(request)
    unit = await queries.unit(pool, uscc)
    if unit is None:
        return page(request, "portal_missing.html", lang, t["not_found"], status_code=404, who=who, what=uscc)
    found = await queries.resources(pool, unit=uscc, catalog=None, domain=None, share_type=None, update_cycle=None,
                                    q=None, mounted=None, include_drafts_of=viewer, as_of=None, limit=1000, offset=0,
                                    viewer=viewer)
    progress = await queries.requirement_progress(pool, unit=uscc, batch_id=None, now=now)
    return page(request, "portal_unit.html", lang, unit.name, who=who, unit=unit,
                rows=[(r, views.facet_values(r, now)) for r in found], progress=progress)


@router.get("/open", response_class=HTMLResponse)
async def open_page(request: Request, lang: Lang = "zh", q: Annotated[str | None, Query(max_length=100)] = None
                    ) -> Response:
    found = await queries.open_resources(deps.pool(request), q or None, 1000, 0)
    return page(request, "portal_open.html", lang, LABELS[lang]["open"], found=found, q=q or "")


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, lang: Lang = "zh") -> Response:
    return page(request, "portal_login.html", lang, LABELS[lang]["login"])


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, lang: Lang = "zh") -> Response:
    """Sign in by posting a token in a form (never in the URL); the cookie is HttpOnly and same-site."""
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0].strip()
    if reader(request, token) is None:
        return page(request, "portal_login.html", lang, LABELS[lang]["login"], error=True, status_code=401)
    response = RedirectResponse(f"/portal?lang={lang}", status_code=303)
    https = request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", max_age=12 * 3600, secure=https)
    return response


@router.post("/logout")
async def logout(lang: Lang = "zh") -> Response:
    response = RedirectResponse(f"/portal/login?lang={lang}", status_code=303)
    response.delete_cookie(COOKIE)
    return response
