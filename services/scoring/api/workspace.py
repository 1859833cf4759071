"""A department's workspace in the console (department sign-in, its own unit only): its score now and its
path through the month, each lost point with its cause and what would restore it, what it can still do in
time (documents, requests to decide, findings to appeal, required resources to publish or mount, stale
resources), its alerts and its webhooks. Everything else in the console stays closed to a department."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Cookie, Request
from fastapi.responses import HTMLResponse
from hubkit.auth import Principal, Role
from hubkit.problems import Problem

from scoring.api import console, deps, scores, todo
from scoring.domain.clock import SHANGHAI
from scoring.domain.remedies import remedy
from scoring.domain.sources import source_keys
from scoring.service import queries

pages = APIRouter(prefix="/console", include_in_schema=False)
ALERTS = 20

LABELS: dict[str, dict[str, str]] = {
    "zh": {"workspace": "本单位工作台", "now": "当前得分", "path": "本月得分变化", "lost": "扣分及恢复办法",
           "restore": "怎样恢复", "todo": "待办事项（按截止时间）", "due": "截止", "days_left": "剩余工作日",
           "how": "办理方式", "at_stake": "涉及", "catalog": "目录待办", "publish": "发布", "mount": "挂接",
           "update": "按周期更新", "deadline": "需求截止日", "alerts": "提醒记录", "webhooks": "推送地址（Webhook）",
           "none": "无", "active": "启用", "inactive": "停用", "set_webhook": "设置：PUT /webhooks/{unit}",
           "no_score": "本单位本月尚无评分"},
    "en": {"workspace": "Our workspace", "now": "Score now", "path": "This month's path", "lost": "Points lost and "
           "how to restore them", "restore": "What restores it", "todo": "To do (nearest deadline first)",
           "due": "due", "days_left": "working days left", "how": "how", "at_stake": "at stake",
           "catalog": "Catalog work", "publish": "publish", "mount": "mount", "update": "update (period ran out)",
           "deadline": "batch deadline", "alerts": "Alerts", "webhooks": "Webhooks", "none": "none",
           "active": "active", "inactive": "inactive", "set_webhook": "set with PUT /webhooks/{unit}",
           "no_score": "no score for this month yet"},
}


def department(request: Request, token: str | None) -> Principal:
    """The signed-in department (401 without a console session, 403 for any other role)."""
    if not token:
        raise Problem(401, "Unauthorized", "open the link printed by `hub token --role department --unit <USCC> "
                      "--console`", kind="unauthorized")
    principal = request.app.state.verifier.verify(token)
    principal.require(Role.department)
    return principal


@pages.get("/workspace", response_class=HTMLResponse)
async def workspace(request: Request, lang: console.Lang = "zh", month: str | None = None,
                    token: Annotated[str | None, Cookie(alias=console.COOKIE)] = None) -> HTMLResponse:
    t = console.LABELS[lang]
    try:
        me = department(request, token)
    except Problem as problem:
        if problem.status == 401:
            return console.page(request, "login.html", lang, t["login"])
        raise
    unit = me.unit
    assert unit is not None  # a department token always names its unit
    w = LABELS[lang]
    month = month or f"{deps.now(request).astimezone(SHANGHAI):%Y-%m}"  # the service's clock (simulated in a demo)
    try:
        b = await scores.breakdown(unit, request, me, month=month)
        h = await scores.history(unit, request, me, month=b["month"])
    except Problem as problem:
        if problem.status != 404:
            raise
        b, h = None, {"changes": []}
    ruleset = deps.ruleset(request)
    keys = source_keys(ruleset, deps.requirements(request), deps.inventory_rules(request))
    lost = [{**it, "indicator": ind["indicator"], "restore": remedy(ruleset.items[it["item"]], keys[it["item"]], unit)}
            for ind in (b["indicators"] if b else []) if ind["part"] == "X"  # deductions (Y items earn points)
            for it in ind["items"] if Decimal(it["points"])]
    try:
        todos = (await todo.todo(unit, request, me))["items"]
    except Problem:
        todos = []  # not checked now: nothing it can still do for a score
    pool = deps.pool(request)
    alerts = await queries.alerts_latest(pool, unit, ALERTS, ruleset, deps.projector(request),
                                         request.app.state.settings.appeal_working_days)
    return console.page(
        request, "workspace.html", lang, w["workspace"], w=w, unit=unit, b=b, changes=h["changes"],
        history_svg=console.sparkline([c["total"] for c in h["changes"]], width=360, height=60), lost=lost,
        todos=todos, tasks=await deps.live(request).catalog_tasks(unit), alerts=alerts,
        webhooks=await queries.webhooks(pool, unit), unit_name=_name(request, unit), department=True)


def _name(request: Request, unit: str) -> str:
    found = deps.live(request).units().get(unit)
    return found.name if found is not None else unit

