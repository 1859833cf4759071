"""The exchange's access-request form, where the catalog portal's 申请共享 leads: a department states the
purpose and submits; the answer page shows the request, its status and the bureau's deadline. Server-rendered
(works with scripts blocked). It reads the portal's cookie: the hub's pages share one host, and browsers send a
host's cookies to each of its ports; the cookie is same-site, so no other site can post this form."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs

from contracts.resource_codes import validate_resource_code
from fastapi import APIRouter, Cookie, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from hubkit.auth import Principal, Role
from hubkit.deps import now as now_of
from hubkit.deps import pool
from hubkit.pages import session_principal
from hubkit.problems import Problem

from exchange.api.common import default_terms, uow
from exchange.api.requests import view
from exchange.service import commands as c
from exchange.service import handlers, queries

router = APIRouter(prefix="/portal/requests", tags=["portal"], include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
COOKIE = "hub_portal"  # the catalog portal's session (catalog/api/portal.py)
Lang = Literal["zh", "en"]
WORDS = {
    "zh": {"title": "共享申请", "resource": "申请资源", "purpose": "用途（作为行政依据、工作参考、业务协同等）",
           "submit": "提交申请", "sign_in": "请先在目录门户登录（部门令牌），再从资源页点击“申请共享”。",
           "unknown": "该资源不在共享交换平台的目录中（或尚未发布）。", "done": "申请已提交",
           "status": "状态", "deadline": "审核截止", "id": "申请编号", "refused": "申请未被接受"},
    "en": {"title": "Access request", "resource": "Resource", "purpose": "Purpose (legal basis, reference, "
           "collaboration…)", "submit": "Submit", "sign_in": "Sign in on the catalog portal (a department token) "
           "first, then click Request access on the resource's page.", "unknown": "This resource is not in the "
           "exchange's catalog (or not published yet).", "done": "Request submitted", "status": "Status",
           "deadline": "Review deadline", "id": "Request", "refused": "The request was not accepted"},
}


def _department(request: Request, session: str | None) -> Principal | None:
    return session_principal(request, session, (Role.department,))


def _page(request: Request, lang: Lang, status_code: int = 200, **context: Any) -> Response:
    return templates.TemplateResponse(request, "request_form.html", {"lang": lang, "w": WORDS[lang], **context},
                                      status_code=status_code)


async def _resource(request: Request, code: str, unit: str) -> Any:
    """The resource as the exchange knows it; another unit's secret resource is unknown to this one."""
    try:
        validate_resource_code(code)
    except ValueError:
        return None
    found = await queries.resource(pool(request), code)
    return None if found is None or (found["secret"] and found["provider"] != unit) else found


@router.get("/new", response_class=HTMLResponse)
async def form(request: Request, resource_code: str = "", lang: Lang = "zh",
               session: Annotated[str | None, Cookie(alias=COOKIE)] = None) -> Response:
    who = _department(request, session)
    if who is None:
        return _page(request, lang, 401, state="sign_in")
    resource = await _resource(request, resource_code, who.unit or "")
    if resource is None:
        return _page(request, lang, 404, state="unknown")
    return _page(request, lang, state="form", code=resource_code, resource=resource)


@router.post("", response_class=HTMLResponse)
async def submit(request: Request, lang: Lang = "zh",
                 session: Annotated[str | None, Cookie(alias=COOKIE)] = None) -> Response:
    who = _department(request, session)
    if who is None:
        return _page(request, lang, 401, state="sign_in")
    fields = parse_qs((await request.body()).decode("utf-8", "replace"))
    code, purpose = (fields.get("resource_code") or [""])[0], (fields.get("purpose") or [""])[0].strip()
    resource = await _resource(request, code, who.unit or "")
    if resource is None:
        return _page(request, lang, 404, state="unknown")
    if not purpose or len(purpose) > 1000:
        return _page(request, lang, 422, state="form", code=code, resource=resource, error="purpose: 1–1000")
    now = now_of(request)
    cmd = c.SubmitRequest(actor=who, requester=who.unit or "", resource_code=code, purpose=purpose, at=now,
                          terms=default_terms(request, term=False))
    try:
        made = view(await handlers.submit_request(cmd, uow(request)), now)
    except Problem as problem:
        return _page(request, lang, problem.status, state="form", code=code, resource=resource, error=problem.detail)
    return _page(request, lang, 201, state="done", code=code, resource=resource, made=made)
