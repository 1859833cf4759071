"""The operators' console: server-rendered pages (they work with scripts blocked) and one SSE stream
that moves the leaderboard live, resuming from the score ledger position after a reconnect."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, urlencode

import orjson
from fastapi import APIRouter, Cookie, Depends, Header, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent
from fastapi.templating import Jinja2Templates
from hubkit.auth import CONSOLE_LOGIN, Principal, Role, mint_token, verify_token
from hubkit.pages import local_time as local_instant
from hubkit.problems import Problem

from scoring.adapters import bulletin as bulletin_document
from scoring.api import bulletin, deps, months, scores
from scoring.domain.clock import to_datetime
from scoring.service import handlers, queries

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _local(value: Any) -> str:
    """Instants on the page in Beijing time, as operators read them."""
    return local_instant(value)


templates.env.filters["local"] = _local


def local_time(t: int | None) -> str:
    """An instant of the projection (epoch microseconds) as operators read it."""
    return "—" if t is None else _local(to_datetime(t))
COOKIE = "hub_console"
VIEWERS = (Role.operator, Role.auditor, Role.inspector)
SIGNERS = (*VIEWERS, Role.department)  # a department signs in to its own workspace only
Lang = Literal["zh", "en"]

LABELS: dict[str, dict[str, Any]] = {
    "zh": {"title": "政务数据聚通用 实时评分", "overview": "总览", "leaderboard": "排行榜",
           "closed_months": "已关账月份", "month": "月份",
           "kind": "类型", "all": "全部", "departments": "区直部门", "cities": "设区市", "band": "等级", "list": "榜单",
           "search": "名称或代码", "apply": "筛选", "units": "个单位", "rank": "排名", "unit": "单位", "code": "代码",
           "total": "总分", "change": "较昨日", "trend": "近月走势", "as_of": "截至", "empty": "暂无评分",
           "connecting": "连接中…", "live": "实时", "down": "连接中断，正在重连", "switch": "English",
           "bands": {"very-high": "非常高", "high": "高", "medium": "中", "low": "低"},
           "lists": {"red": "红榜", "black": "黑榜", "none": "—"}, "history": "本月得分变化", "when": "时间",
           "indicator": "指标", "item": "评分项", "points": "分值", "cap": "上限", "events": "相关事件",
           "from_submissions": "报送", "from_inventory": "系统清单", "exempt": "不列入检查和考核",
           "exempt_from": "自",
           "from_inspector": "督查", "from_catalog": "目录事件",
           "from_exchange": "共享事件", "from_elicense": "电子证照事件",
           "absent": "不适用指标", "raw": "未封顶", "closed_at": "关账于", "seal": "封存哈希",
           "adjustments": "关账后到达的事实（调整）", "frozen": "冻结得分", "adjusted": "调整后",
           "no_closed": "尚无关账月份", "bulletin": "月度通报",
           "login_help": "控制台需要运营人员令牌。运行下面的命令，打开它打印的链接：", "login": "登录",
           "deadletters": "死信", "max_lag": "最大积压", "unsent": "待发事件",
           "token_label": "或粘贴运营人员令牌：",
           "no_token_in_url": "令牌不能放在网址中，请用下面的表单或一次性登录链接。",
           "bad_code": "登录链接或令牌无效、已过期或无权查看控制台。",
           "used_code": "该一次性登录链接已使用过，请重新生成。"},
    "en": {"title": "Data aggregation, sharing & use: live scores", "overview": "Overview",
           "leaderboard": "Leaderboard",
           "closed_months": "Closed months", "month": "Month", "kind": "Kind", "all": "all",
           "departments": "departments", "cities": "cities", "band": "Band", "list": "List",
           "search": "name or code", "apply": "Filter", "units": "units", "rank": "Rank", "unit": "Unit",
           "code": "Code", "total": "Total", "change": "Since yesterday", "trend": "Trend", "as_of": "as of",
           "empty": "No scores yet", "connecting": "connecting…", "live": "live",
           "down": "stream down, reconnecting", "switch": "中文",
           "bands": {"very-high": "very high", "high": "high", "medium": "medium", "low": "low"},
           "lists": {"red": "red list", "black": "black list", "none": "—"}, "history": "Score this month",
           "when": "When", "indicator": "Indicator", "item": "Item", "points": "Points", "cap": "Cap",
           "events": "Events", "from_submissions": "submissions", "from_inventory": "system inventory",
           "exempt": "Not checked (not scored or ranked)", "exempt_from": "from",
           "from_inspector": "inspector",
           "from_catalog": "catalog events", "from_exchange": "exchange events", "from_elicense": "e-license events",
           "absent": "absent indicator", "raw": "before cap", "closed_at": "closed at",
           "seal": "seal", "adjustments": "Facts that arrived after the close (adjustments)", "frozen": "Frozen",
           "adjusted": "Adjusted", "no_closed": "No month is closed yet", "bulletin": "bulletin",
           "login_help": "The console needs an operator token. Run this and open the link it prints:",
           "login": "Log in", "deadletters": "dead letters", "max_lag": "largest lag", "unsent": "unsent events",
           "token_label": "or paste an operator token:",
           "no_token_in_url": "Tokens are not accepted in URLs; use the form below or a one-time sign-in link.",
           "bad_code": "The sign-in link or token is invalid, expired, or may not view the console.",
           "used_code": "This one-time sign-in link was used already; make a new one."},
}


def viewer(request: Request, token: Annotated[str | None, Cookie(alias=COOKIE)] = None) -> Principal:
    if not token:
        raise Problem(401, "Unauthorized", "open the link printed by `hub token --role operator --console`",
                      kind="unauthorized")
    principal = request.app.state.verifier.verify(token)
    principal.require(*VIEWERS)
    return principal


Viewer = Annotated[Principal, Depends(viewer)]


def page(request: Request, name: str, lang: Lang, heading: str, status_code: int = 200,
          **context: Any) -> HTMLResponse:
    query = {k: v for k, v in request.query_params.items() if k not in ("code", "token")}
    query["lang"] = "en" if lang == "zh" else "zh"
    switch_url = request.url.path + "?" + urlencode(query)
    return templates.TemplateResponse(request, name, {"lang": lang, "t": LABELS[lang], "heading": heading,
                                                      "switch_url": switch_url, **context}, status_code=status_code)


def sparkline(points: list[str], width: int = 90, height: int = 22) -> str:
    """A small inline SVG of totals over months (server-rendered: no script needed)."""
    values = [Decimal(p) for p in points]
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or Decimal(1)
    step = Decimal(width - 4) / (len(values) - 1)
    coords = " ".join(f"{2 + step * i:.1f},{2 + (high - v) / span * (height - 4):.1f}" for i, v in enumerate(values))
    return (f'<svg class="trend" width="{width}" height="{height}" role="img" aria-label="{" → ".join(points)}">'
            f'<polyline fill="none" stroke="#12324f" stroke-width="1.5" points="{coords}"/></svg>')


@router.get("/login", response_class=HTMLResponse)
async def login(request: Request, code: str | None = None, token: str | None = None, lang: Lang = "zh",
                month: str | None = None) -> Response:
    """Sign in with a one-time code (`hub token --role operator --console` prints the link). A token
    in the URL is refused: URLs end up in histories, proxies and traces."""
    t = LABELS[lang]
    if token is not None:
        return page(request, "login.html", lang, t["login"], error=t["no_token_in_url"], status_code=400)
    if code is None:
        return page(request, "login.html", lang, t["login"])
    settings = request.app.state.settings
    try:
        who = verify_token(settings.jwt_secret, code, purpose=CONSOLE_LOGIN)
    except Problem:
        return page(request, "login.html", lang, t["login"], error=t["bad_code"], status_code=401)
    if who.role not in SIGNERS or (who.role == Role.department and not who.unit):
        return page(request, "login.html", lang, t["login"], error=t["bad_code"], status_code=401)
    first = await handlers.use_console_code(who.jti, deps.uow(request))
    if not first:
        return page(request, "login.html", lang, t["login"], error=t["used_code"], status_code=401)
    session = mint_token(settings.jwt_secret, role=who.role, unit=who.unit, subject=who.subject)
    return _signed_in(request, session, lang, month, who.role)


@router.post("/login", response_class=HTMLResponse)
async def login_form(request: Request, lang: Lang = "zh") -> Response:
    """Sign in by posting a bearer token in a form (never in the URL)."""
    t = LABELS[lang]
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0].strip()
    month = (form.get("month") or [""])[0] or None
    try:
        who = request.app.state.verifier.verify(token)
        if who.role not in SIGNERS or (who.role == Role.department and not who.unit):
            raise Problem(403, "Forbidden", "")
    except Problem:
        return page(request, "login.html", lang, t["login"], error=t["bad_code"], status_code=401)
    return _signed_in(request, token, lang, month, who.role)


def _signed_in(request: Request, session: str, lang: Lang, month: str | None, role: Role | str) -> Response:
    """A department lands on its workspace, the bureau's roles on the dashboard."""
    home = "/console/workspace" if role == Role.department else "/console"
    target = f"{home}?lang={lang}" + (f"&month={month}" if month and len(month) == 7 and month[4] == "-" else "")
    response = RedirectResponse(target, status_code=303)
    https = request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
    response.set_cookie(COOKIE, session, httponly=True, samesite="strict", max_age=12 * 3600, secure=https)
    return response


@router.get("/leaderboard", response_class=HTMLResponse)
async def leaderboard_page(
    request: Request, lang: Lang = "zh", month: str | None = None,
    kind: Literal["department", "city", ""] = "", band: Literal["very-high", "high", "medium", "low", ""] = "",
    list_: Annotated[Literal["red", "black", "none", ""], Query(alias="list")] = "", q: str | None = None,
    low: Annotated[Decimal | None, Query(ge=0, le=200, description="totals at least")] = None,
    high: Annotated[Decimal | None, Query(ge=0, le=200, description="totals below (100: up to 100)")] = None,
    item: Annotated[str | None, Query(max_length=12, description="units the item costs or earns points")] = None,
    token: Annotated[str | None, Cookie(alias=COOKIE)] = None,
) -> HTMLResponse:
    """The leaderboard with its filters; the dashboard's charts link here with a range of totals or an item."""
    t = LABELS[lang]
    try:
        signed_in = viewer(request, token)
    except Problem as problem:
        if problem.status == 403:
            raise  # signed in, but not as one who may see the whole province (a department: its workspace)
        return page(request, "login.html", lang, t["login"])
    # Read before the board: a change in between is then sent again (harmless), never lost.
    after = await queries.ledger_position(deps.pool(request))
    if month is None and deps.projector(request).projection.watermark is None:
        board: dict[str, Any] = {"month": "", "units": [], "exempt": [], "as_of": None,
                                 "ruleset": deps.ruleset(request).id,
                                 "ruleset_version": deps.ruleset(request).version}
    else:
        board = await scores.leaderboard(request, signed_in, month=month, kind=kind or None, band=band or None,
                                         list_=list_ or None, q=q or None)
    if item:
        costs = await queries.units_with_item(deps.pool(request), board["month"], item)
        board["units"] = [u for u in board["units"] if u["unit"] in costs]
    if low is not None or high is not None:
        board["units"] = [u for u in board["units"] if _in_range(Decimal(u["total"]), low, high)]
    for unit in board["units"]:
        unit["sparkline"] = sparkline([p["total"] for p in unit["trend"]])
    script_labels = orjson.dumps({"live": t["live"], "down": t["down"], "bands": t["bands"],
                                  "lists": {k: v for k, v in t["lists"].items() if k != "none"}}).decode()
    return page(request, "leaderboard.html", lang, f"{t['leaderboard']} {board['month']}", board=board,
                filters={"kind": kind, "band": band, "list": list_, "q": q, "low": low, "high": high, "item": item},
                after=after, live=True, script_labels=script_labels, health=health(request))


def _in_range(total: Decimal, low: Decimal | None, high: Decimal | None) -> bool:
    """[low, high), except that a range ending at 100 holds 100 (the histogram's top bin)."""
    if low is not None and total < low:
        return False
    return high is None or total < high or (high == 100 and total >= 100)


def health(request: Request) -> dict[str, Any]:
    """The hub's messaging at a glance, from the snapshot the service refreshes every few seconds."""
    gauges = request.app.state.host.gauges
    snapshot = gauges.snapshot if gauges is not None else {}
    lags = [c["lag"] for c in snapshot.get("consumers", []) if c["lag"] is not None]
    relay = snapshot.get("relay") or {}
    return {"deadletters": snapshot.get("deadletters"), "max_lag": max(lags) if lags else None,
            "unsent": relay.get("unsent")}


@router.get("/units/{unit}", response_class=HTMLResponse)
async def unit_page(unit: str, request: Request, viewer: Viewer, lang: Lang = "zh",
                    month: str | None = None) -> HTMLResponse:
    b = await scores.breakdown(unit, request, viewer, month=month)
    h = await scores.history(unit, request, viewer, month=b["month"])
    return page(request, "unit.html", lang, b.get("name") or unit, b=b, changes=h["changes"],
                 history_svg=sparkline([c["total"] for c in h["changes"]], width=240, height=40))


@router.get("/months", response_class=HTMLResponse)
async def months_page(request: Request, viewer: Viewer, lang: Lang = "zh") -> HTMLResponse:
    closed = await queries.closed_months(deps.pool(request))
    found = [await months.read(m, request, viewer) for m in closed]
    return page(request, "months.html", lang, LABELS[lang]["closed_months"], months=found)


@router.get("/months/{month}/bulletin", response_class=HTMLResponse)
async def bulletin_page(month: str, request: Request, viewer: Viewer) -> HTMLResponse:
    """The month's bulletin, for the console's signed-in operator (the same document as the API's)."""
    return HTMLResponse(bulletin_document.html(await bulletin.compiled(request, month),
                                               pdf_link=f"/console/months/{month}/bulletin.pdf"))


@router.get("/months/{month}/bulletin.pdf", response_class=Response)
async def bulletin_pdf(month: str, request: Request, viewer: Viewer) -> Response:
    return bulletin.pdf_response(await bulletin_document.pdf(await bulletin.compiled(request, month)), month)


@router.get("/stream", response_class=EventSourceResponse)
async def stream(
    request: Request, viewer: Viewer, month: str | None = None,
    after: Annotated[int, Query(ge=0, description="ledger position the page was rendered at")] = 0,
    last_event_id: Annotated[int | None, Header(alias="Last-Event-ID", ge=0)] = None,
) -> AsyncIterator[ServerSentEvent]:
    """Every score change of the month after the position (Last-Event-ID wins over `after`)."""
    position = last_event_id if last_event_id is not None else after
    pool = deps.pool(request)
    while not await request.is_disconnected():
        rows = await queries.ledger_after(pool, position, month or None)
        for r in rows:
            position = r["position"]
            yield ServerSentEvent(event="score", id=str(position), data={
                "unit": r["unit"], "month": r["month"], "x": str(r["x"]), "y": str(r["y"]), "total": str(r["total"]),
                "band": r["band"], "list": r["list"], "as_of": r["as_of"].isoformat(),
                "previous_total": str(r["previous_total"]) if r["previous_total"] is not None else None})
        if not rows:
            await asyncio.sleep(0.2)
