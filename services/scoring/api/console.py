"""The operators' console: server-rendered pages (they work with scripts blocked) and one SSE stream
that moves the leaderboard live, resuming from the score ledger position after a reconnect."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import orjson
from contracts.workdays import SHANGHAI
from fastapi import APIRouter, Cookie, Depends, Header, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent
from fastapi.templating import Jinja2Templates
from hubkit.auth import Principal, Role, verify_token
from hubkit.problems import Problem

from scoring.api import deps, months, scores

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _local(value: Any) -> str:
    """Instants on the page in Beijing time, as operators read them."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    return "—" if value is None else str(value)


templates.env.filters["local"] = _local
COOKIE = "hub_console"
VIEWERS = (Role.operator, Role.auditor, Role.inspector)
Lang = Literal["zh", "en"]

LABELS: dict[str, dict[str, Any]] = {
    "zh": {"title": "政务数据聚通用 实时评分", "leaderboard": "排行榜", "closed_months": "已关账月份", "month": "月份",
           "kind": "类型", "all": "全部", "departments": "区直部门", "cities": "设区市", "band": "等级", "list": "榜单",
           "search": "名称或代码", "apply": "筛选", "units": "个单位", "rank": "排名", "unit": "单位", "code": "代码",
           "total": "总分", "change": "较昨日", "trend": "近月走势", "as_of": "截至", "empty": "暂无评分",
           "connecting": "连接中…", "live": "实时", "down": "连接中断，正在重连", "switch": "English",
           "bands": {"very-high": "非常高", "high": "高", "medium": "中", "low": "低"},
           "lists": {"red": "红榜", "black": "黑榜", "none": "—"}, "history": "本月得分变化", "when": "时间",
           "indicator": "指标", "item": "评分项", "points": "分值", "cap": "上限", "events": "相关事件",
           "absent": "不适用指标", "raw": "未封顶", "closed_at": "关账于", "seal": "封存哈希",
           "adjustments": "关账后到达的事实（调整）", "frozen": "冻结得分", "adjusted": "调整后",
           "no_closed": "尚无关账月份",
           "login_help": "控制台需要运营人员令牌。运行下面的命令，打开它打印的链接：", "login": "登录"},
    "en": {"title": "Data aggregation, sharing & use: live scores", "leaderboard": "Leaderboard",
           "closed_months": "Closed months", "month": "Month", "kind": "Kind", "all": "all",
           "departments": "departments", "cities": "cities", "band": "Band", "list": "List",
           "search": "name or code", "apply": "Filter", "units": "units", "rank": "Rank", "unit": "Unit",
           "code": "Code", "total": "Total", "change": "Since yesterday", "trend": "Trend", "as_of": "as of",
           "empty": "No scores yet", "connecting": "connecting…", "live": "live",
           "down": "stream down, reconnecting", "switch": "中文",
           "bands": {"very-high": "very high", "high": "high", "medium": "medium", "low": "low"},
           "lists": {"red": "red list", "black": "black list", "none": "—"}, "history": "Score this month",
           "when": "When", "indicator": "Indicator", "item": "Item", "points": "Points", "cap": "Cap",
           "events": "Events", "absent": "absent indicator", "raw": "before cap", "closed_at": "closed at",
           "seal": "seal", "adjustments": "Facts that arrived after the close (adjustments)", "frozen": "Frozen",
           "adjusted": "Adjusted", "no_closed": "No month is closed yet",
           "login_help": "The console needs an operator token. Run this and open the link it prints:",
           "login": "Log in"},
}


def _viewer(request: Request, token: Annotated[str | None, Cookie(alias=COOKIE)] = None) -> Principal:
    if not token:
        raise Problem(401, "Unauthorized", "open the link printed by `hub token --role operator --console`",
                      kind="unauthorized")
    principal = verify_token(request.app.state.settings.jwt_secret, token)
    principal.require(*VIEWERS)
    return principal


Viewer = Annotated[Principal, Depends(_viewer)]


def _page(request: Request, name: str, lang: Lang, heading: str, **context: Any) -> HTMLResponse:
    query = dict(request.query_params)
    query["lang"] = "en" if lang == "zh" else "zh"
    switch_url = request.url.path + "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return templates.TemplateResponse(request, name, {"lang": lang, "t": LABELS[lang], "heading": heading,
                                                      "switch_url": switch_url, **context})


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


@router.get("/login")
async def login(token: str, lang: Lang = "zh", month: str | None = None) -> Response:
    target = f"/console?lang={lang}" + (f"&month={month}" if month and len(month) == 7 else "")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", max_age=12 * 3600)
    return response


@router.get("", response_class=HTMLResponse)
async def leaderboard_page(
    request: Request, lang: Lang = "zh", month: str | None = None,
    kind: Literal["department", "city", ""] = "", band: Literal["very-high", "high", "medium", "low", ""] = "",
    list_: Annotated[Literal["red", "black", "none", ""], Query(alias="list")] = "", q: str | None = None,
    token: Annotated[str | None, Cookie(alias=COOKIE)] = None,
) -> HTMLResponse:
    t = LABELS[lang]
    try:
        viewer = _viewer(request, token)
    except Problem:
        return _page(request, "login.html", lang, t["login"])
    async with deps.pool(request).acquire() as conn:
        # Read before the board: a change in between is then sent again (harmless), never lost.
        after = int(await conn.fetchval("SELECT coalesce(max(position), 0) FROM score_ledger"))
    if month is None and deps.projector(request).projection.watermark is None:
        board: dict[str, Any] = {"month": "", "units": [], "as_of": None, "ruleset": deps.ruleset(request).id,
                                 "ruleset_version": deps.ruleset(request).version}
    else:
        board = await scores.leaderboard(request, viewer, month=month, kind=kind or None, band=band or None,
                                         list_=list_ or None, q=q or None)
    for unit in board["units"]:
        unit["sparkline"] = sparkline([p["total"] for p in unit["trend"]])
    script_labels = orjson.dumps({"live": t["live"], "down": t["down"], "bands": t["bands"],
                                  "lists": {k: v for k, v in t["lists"].items() if k != "none"}}).decode()
    return _page(request, "leaderboard.html", lang, f"{t['leaderboard']} {board['month']}", board=board,
                 filters={"kind": kind, "band": band, "list": list_, "q": q}, after=after, live=True,
                 script_labels=script_labels)


@router.get("/units/{unit}", response_class=HTMLResponse)
async def unit_page(unit: str, request: Request, viewer: Viewer, lang: Lang = "zh",
                    month: str | None = None) -> HTMLResponse:
    b = await scores.breakdown(unit, request, viewer, month=month)
    h = await scores.history(unit, request, viewer, month=b["month"])
    return _page(request, "unit.html", lang, b.get("name") or unit, b=b, changes=h["changes"],
                 history_svg=sparkline([c["total"] for c in h["changes"]], width=240, height=40))


@router.get("/months", response_class=HTMLResponse)
async def months_page(request: Request, viewer: Viewer, lang: Lang = "zh") -> HTMLResponse:
    async with deps.pool(request).acquire() as conn:
        closed = [r["month"] for r in await conn.fetch("SELECT month FROM closed_months ORDER BY month DESC")]
    found = [await months.read(m, request, viewer) for m in closed]
    return _page(request, "months.html", lang, LABELS[lang]["closed_months"], months=found)


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
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT position, unit, month, x, y, total, band, list, previous_total, as_of FROM score_ledger "
                "WHERE position > $1 AND ($2::text IS NULL OR month = $2) ORDER BY position LIMIT 500",
                position, month or None)
        for r in rows:
            position = r["position"]
            yield ServerSentEvent(event="score", id=str(position), data={
                "unit": r["unit"], "month": r["month"], "x": str(r["x"]), "y": str(r["y"]), "total": str(r["total"]),
                "band": r["band"], "list": r["list"], "as_of": r["as_of"].isoformat(),
                "previous_total": str(r["previous_total"]) if r["previous_total"] is not None else None})
        if not rows:
            await asyncio.sleep(0.2)
