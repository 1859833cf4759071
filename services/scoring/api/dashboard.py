"""The operators' dashboard (the console's home page) and the same figures as JSON (`GET /dashboard`).

The page is rendered on the server (it works with scripts blocked); a script listens to the console's
score stream and fetches the panels again after each change (at most a few times a second), and every
ten seconds for what moves without a score (the exchange, the library, the hub's health)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Cookie, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from hubkit.auth import CurrentPrincipal, Role
from hubkit.db import json_value
from hubkit.problems import Problem

from scoring.api import charts, console, deps
from scoring.domain.activity import Activity, TrafficNow
from scoring.domain.bulletin import BANDS
from scoring.domain.clock import SHANGHAI, month_bounds, to_datetime
from scoring.domain.dashboard import Dashboard
from scoring.service import queries

router = APIRouter(tags=["dashboard"])
pages = APIRouter(prefix="/console", include_in_schema=False)
VIEWERS = (Role.operator, Role.auditor, Role.inspector)
FEED = 15

LABELS: dict[str, dict[str, str]] = {
    "zh": {"overview": "总览", "bands": "等级分布", "lists": "红黑榜", "vs": "上月", "improved": "较上月上升",
           "slipped": "较上月下降", "distribution": "总分分布", "costliest": "失分最多的评分项",
           "heat": "各单位各指标失分", "cities": "设区市与所辖县区", "counties": "所辖县区", "trend": "逐月走势",
           "mean": "平均分", "median": "中位数", "catalog": "资源目录", "required": "需求资源",
           "published": "已编目", "mounted": "已挂接", "stale": "未按时更新", "exchange": "数据共享",
           "waiting": "待审核申请", "overdue": "超期未审", "failed_today": "今日调用失败",
           "per_minute": "最近窗口每分钟调用", "failure_rate": "失败率", "p95": "P95 时延", "calls_today": "今日调用",
           "window": "统计窗口",
           "failed_month": "本月调用失败", "disputes": "本月质量异议成立", "licenses": "电子证照",
           "types": "已推送/已认领证照类型", "with_file": "含版式文件", "sealed": "加盖统一电子印章",
           "uses_today": "今日用证", "unsealed": "本月未加盖电子印章用证",
           "feed": "实时扣分", "health": "运行状况", "last_event": "最新事件时间", "position": "评分账本位置",
           "units_behind": "查看单位", "no_data": "暂无数据", "pts": "分", "units_n": "个单位"},
    "en": {"overview": "Overview", "bands": "Bands", "lists": "Red and black lists", "vs": "last month",
           "improved": "up on last month", "slipped": "down on last month", "distribution": "Totals",
           "costliest": "Costliest deductions", "heat": "Points lost per unit and indicator",
           "cities": "Cities and their counties", "counties": "counties", "trend": "Months",
           "mean": "mean", "median": "median", "catalog": "Catalog", "required": "required",
           "published": "published", "mounted": "mounted", "stale": "stale", "exchange": "Exchange",
           "waiting": "requests waiting", "overdue": "overdue", "failed_today": "failed calls today",
           "per_minute": "calls per minute (latest window)", "failure_rate": "failure rate", "p95": "p95 latency",
           "calls_today": "calls today", "window": "window",
           "failed_month": "failed calls this month", "disputes": "disputes upheld this month",
           "licenses": "E-licenses", "types": "claimed types pushed", "with_file": "with a file",
           "sealed": "sealed with the unified e-seal", "uses_today": "uses today",
           "unsealed": "uses without the seal this month", "feed": "Deductions as they happen",
           "health": "Hub health", "last_event": "last event", "position": "score ledger position",
           "units_behind": "units", "no_data": "no data yet", "pts": "pts", "units_n": "units"},
}


def plain(value: Any) -> Any:
    """Dataclasses as JSON-ready values, decimals as exact strings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


async def _figures(request: Request, month: str | None) -> tuple[Dashboard, Activity | None, list[dict[str, Any]]]:
    month = deps.month_or_current(request, month)
    live = deps.live(request)
    board = await queries.dashboard(deps.pool(request), live, month, deps.ruleset(request))
    units = live.units()
    items = deps.ruleset(request).items
    feed = [{"unit": r["unit"], "name": units[r["unit"]].name if r["unit"] in units else r["unit"],
             "month": r["month"], "item": r["item"], "label": items[r["item"]].label_zh if r["item"] in items else "",
             "points": str(r["points_added"]), "at": r["created_at"], "list": json_value(r["payload"]).get("list")}
            for r in await queries.recent_deductions(deps.pool(request), FEED)]
    return board, await live.activity(month), feed


@router.get("/dashboard", summary="The province at a glance: bands, lists, costliest items, cities, activity")
async def dashboard(
    request: Request, principal: CurrentPrincipal,
    month: Annotated[str | None, Query(description="YYYY-MM; default: the month of the watermark")] = None,
) -> dict[str, Any]:
    principal.require(*VIEWERS)
    board, now, feed = await _figures(request, month)
    calls = await _traffic(request, board.month)
    return {"scores": plain(board), "activity": plain(now), "deductions": [f | {"at": f["at"].isoformat()}
                                                                           for f in feed],
            "traffic": None if calls is None else plain(calls) | {"window_start": _local(calls.window_start),
                                                                  "per_minute": str(calls.per_minute),
                                                                  "failure_rate": str(calls.failure_rate)},
            "health": console.health(request)}


def _local(at: datetime) -> str:
    return at.astimezone(SHANGHAI).isoformat()


def _activity_at(request: Request, month: str) -> int | None:
    """The instant the activity panels read: the watermark, or the month's last instant if it came first."""
    wm = deps.live(request).watermark
    return None if wm is None else min(wm, month_bounds(month)[1] - 1)


async def _traffic(request: Request, month: str) -> TrafficNow | None:
    at = _activity_at(request, month)
    return None if at is None else await queries.traffic(deps.pool(request), to_datetime(at))


def _context(request: Request, lang: console.Lang, board: Dashboard, now: Activity | None,
             feed: list[dict[str, Any]], calls: TrafficNow | None) -> dict[str, Any]:
    month, t = board.month, console.LABELS[lang]
    activity_at = _activity_at(request, month)
    link = f"/console/leaderboard?lang={lang}&month={month}"
    return {
        "d": LABELS[lang], "board": board, "now": now, "feed": feed, "link": link, "health": console.health(request),
        "watermark_local": console.local_time(deps.live(request).watermark), "position": deps.live(request).position,
        "names": {u: info.name for u, info in deps.live(request).units().items()},
        "histogram": charts.columns([(r, n, f"{link}&low={r.split('–')[0]}&high={r.split('–')[1]}")
                                     for r, n in board.histogram], label=LABELS[lang]["distribution"]),
        "costliest": charts.bars([(f"{d.item} {d.label}", d.points, f"{link}&item={d.item}")
                                  for d in board.costliest], label=LABELS[lang]["costliest"]),
        "trend": charts.line([(f.month, f.mean) for f in board.months], label=LABELS[lang]["trend"]),
        "activity_at": console.local_time(activity_at), "heat_style": charts.heat, "calls": calls,
        "bands_order": BANDS, "t": t,
    }


@pages.get("", response_class=HTMLResponse)
async def home(request: Request, lang: console.Lang = "zh", month: str | None = None,
               token: Annotated[str | None, Cookie(alias=console.COOKIE)] = None) -> Response:
    t = console.LABELS[lang]
    try:
        console.viewer(request, token)
    except Problem as problem:
        if problem.status == 403 and request.app.state.verifier.verify(token or "").role == Role.department:
            return RedirectResponse(f"/console/workspace?lang={lang}", status_code=303)
        if problem.status == 403:
            raise
        return console.page(request, "login.html", lang, t["login"])
    after = await queries.ledger_position(deps.pool(request))
    if month is None and deps.live(request).watermark is None:
        return console.page(request, "dashboard.html", lang, LABELS[lang]["overview"], board=None, live=True,
                            after=after, d=LABELS[lang])
    board, now, feed = await _figures(request, month)
    return console.page(request, "dashboard.html", lang, f"{LABELS[lang]['overview']} {board.month}", live=True,
                        after=after, labels=orjson.dumps({"live": t["live"], "down": t["down"]}).decode(),
                        **_context(request, lang, board, now, feed, await _traffic(request, board.month)))


@pages.get("/dashboard/panels", response_class=HTMLResponse)
async def panels(request: Request, viewer: console.Viewer, lang: Literal["zh", "en"] = "zh",
                 month: str | None = None) -> HTMLResponse:
    """The dashboard's panels alone, for the page's script to swap in after a change."""
    board, now, feed = await _figures(request, month)
    context = _context(request, lang, board, now, feed, await _traffic(request, board.month))
    return console.templates.TemplateResponse(request, "dashboard_panels.html", {"lang": lang, **context})
