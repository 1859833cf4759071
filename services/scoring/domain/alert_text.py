"""Deduction alerts in words (Chinese): which item, how many points, why, the new standing, what to do.

The text is rendered when an alert is read or delivered, from the alert event, the events that
caused it (from the archive) and the unit's open obligations (from the live projection).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from contracts.workdays import SHANGHAI

from scoring.domain.clock import Instant, to_datetime, to_instant
from scoring.domain.deadlines import working_deadline_at
from scoring.domain.facts import ExchangeFacts

BANDS_ZH = {"very-high": "非常高", "high": "高", "medium": "中", "low": "低"}
LISTS_ZH = {"red": "红榜", "black": "黑榜", "none": "未上榜"}
ERRORS_ZH = {"timeout": "调用超时", "unavailable": "服务不可用", "server_error": "服务端错误",
             "bad_response": "返回数据无效"}

# What stops further deductions, by the type of the causing event.
ADVICE_ZH = {
    "exchange.request-overdue": "请立即对超时的共享申请作出审核答复，并按时办理其余待审申请。",
    "exchange.request-rejected": "拒绝共享申请须写明理由；请补充拒绝理由，或依据资源目录共享属性重新审核。",
    "exchange.call-failed": "请排查接口服务可用性（超时、错误返回），恢复后在交换平台确认调用成功。",
    "exchange.dispute-upheld": "请核实并更正异议数据，在3个工作日内完成整改并反馈。",
    "catalog.requirement-assigned": "请在截止日期前完成清单内资源的编目、发布和挂接。",
    "catalog.resource-published": "请按目录编制要求完善资源的元数据和共享属性。",
    "catalog.resource-unmounted": "请尽快重新挂接已撤下的数据资源。",
    "catalog.resource-updated": "请按资源更新周期及时更新数据。",
    "elicense.types-claimed": "请完整申报本单位签发的证照类型、数量和存量总数。",
    "elicense.license-pushed": "请按要求推送证照数据和加盖统一电子印章的版式文件。",
    "elicense.license-used": "请为证照加盖全区统一电子印章，确保可用于办事。",
    "scoring.finding-recorded": "请按督查意见整改，并将整改情况报送自治区大数据发展局。",
}


@dataclass(frozen=True)
class Obligation:
    """Something the unit can still do in time, e.g. answer a forwarded request."""

    what: str
    due: datetime


def describe_event(event: dict[str, Any]) -> str:
    """One causing event in words: when, what, which resource, request, license or finding."""
    details: dict[str, Any] = event.get("details", {})
    at = _local(event.get("occurred_at"))
    kind = event.get("type", "")
    words = {
        "exchange.request-overdue": "共享申请 {request_id} 超过办理时限未答复",
        "exchange.request-rejected": "共享申请 {request_id} 被拒绝且未说明理由",
        "exchange.call-failed": "资源 {resource_code} 被调用失败（{error_zh}）",
        "exchange.dispute-upheld": "资源 {resource_code} 的数据异议 {dispute_id} 经核实成立",
        "catalog.requirement-assigned": "需求清单 {batch_id} 的资源未按期发布挂接",
        "catalog.resource-updated": "资源 {resource_code} 未按更新周期更新",
        "catalog.resource-unmounted": "资源 {resource_code} 被撤下挂接",
        "elicense.license-used": "证照 {license_id} 在办事中使用时没有统一电子印章",
        "elicense.license-pushed": "证照 {license_id} 推送不完整",
        "elicense.types-claimed": "证照类型申报不完整",
        "scoring.finding-recorded": "督查发现（{item}，{count}处）",
    }.get(kind, kind or "事件")
    fields = {k: details.get(k, "") for k in ("request_id", "resource_code", "dispute_id", "batch_id",
                                              "license_id", "item", "count")}
    fields["error_zh"] = ERRORS_ZH.get(str(details.get("error", "")), str(details.get("error", "")))
    return f"{at}：{words.format(**fields)}"


def render(alert: dict[str, Any], item_label: str, causes: list[dict[str, Any]],
           obligations: list[Obligation]) -> dict[str, Any]:
    """{title, text, advice, causes} of one deduction-alerted payload."""
    band, listing = alert["band"], alert["list"]
    title = f"【扣分提醒】{alert['month']} {alert['item']} 扣 {alert['points_added']} 分"
    lines = [
        f"指标 {alert['item']}（{item_label}）本月新增扣分 {alert['points_added']} 分，"
        f"该项累计扣 {alert['item_points']} 分。",
        f"当前得分 {alert['total']} 分（X {alert['x']} 分），"
        f"等级“{BANDS_ZH.get(band, band)}”，{LISTS_ZH.get(listing, listing)}。",
    ]
    if alert.get("entered_black_list"):
        lines.append("本次扣分使本单位进入黑榜。")
    if alert.get("left_red_list"):
        lines.append("本次扣分使本单位退出红榜。")
    if alert.get("previous_band") and alert["previous_band"] != band:
        lines.append(f"等级由“{BANDS_ZH.get(alert['previous_band'])}”降为“{BANDS_ZH.get(band, band)}”。")
    reasons = [describe_event(e) for e in causes[:5]]
    if len(causes) > 5:
        reasons.append(f"等 {len(causes)} 个事件")
    advice = [f"请在 {_deadline(o.due)} 前{o.what}。" for o in sorted(obligations, key=lambda o: o.due)[:5]]
    for kind in dict.fromkeys(str(e.get("type", "")) for e in causes):
        if kind in ADVICE_ZH and ADVICE_ZH[kind] not in advice:
            advice.append(ADVICE_ZH[kind])
    text = "\n".join([*lines, "原因：", *(f"· {r}" for r in reasons), "建议：", *(f"· {a}" for a in advice)])
    return {"title": title, "text": text, "reasons": reasons, "advice": advice}


def render_reminder(reminder: dict[str, Any], item_label: str) -> dict[str, Any]:
    """{title, text, advice, reasons} of a reminder before a submission deadline."""
    due = _deadline(datetime.fromisoformat(reminder["deadline"]))
    what = reminder["title_zh"] if reminder["period"] == "once" else f"{reminder['period']} {reminder['title_zh']}"
    title = f"【报送提醒】{what} 应于 {due} 前报送"
    left = reminder["working_days_left"]
    lines = [f"本单位尚未报送{what}（或已报送的被退回），截止 {due}，含今天还剩 {left} 个工作日。",
             f"逾期未报送将按指标 {reminder['item']}（{item_label}）扣 {reminder['points']} 分。"]
    advice = [f"请在 {due} 前通过 POST /submissions/{reminder['unit']} 报送（kind={reminder['kind']}）。"]
    text = "\n".join([*lines, "建议：", *(f"· {a}" for a in advice)])
    return {"title": title, "text": text, "reasons": lines[:1], "advice": advice}


ANOMALY_ZH = {"duplicate-number": "证照编号重复", "issued-in-the-future": "发证日期晚于推送日期",
              "missing-field": "缺少证照类型要求的必填照面信息", "file-mismatch": "证照文件与结构化数据不符"}


def render_anomaly(flagged: dict[str, Any]) -> dict[str, Any]:
    """{title, text, advice, reasons} of abnormal data the e-license library found in a pushed license."""
    reasons = [f"{ANOMALY_ZH.get(a['code'], a['code'])}：{a['detail']}" for a in flagged["anomalies"]]
    title = f"【证照异常数据】证照 {flagged['license_id']} 有 {len(reasons)} 项异常，请更正后重新推送"
    advice = ["请核对后通过 POST /licenses 重新推送该证照（附正确的证照文件）；更正后异常自动销号，用时计入统计。",
              f"异常清单：GET /anomalies?issuer={flagged['unit']}&status=open（电子证照服务）。"]
    lines = [f"电子证照总库在 {_local(flagged['occurred_at'])} 发现本单位推送的证照 {flagged['license_id']}"
             f"（类型 {flagged['license_type']}）数据异常。"]
    text = "\n".join([*lines, "原因：", *(f"· {r}" for r in reasons), "建议：", *(f"· {a}" for a in advice)])
    return {"title": title, "text": text, "reasons": reasons, "advice": advice}


def render_traffic(alert: dict[str, Any]) -> dict[str, Any]:
    """{title, text, advice, reasons} of a provider's calls failing or slow over the last windows (before the
    failures cost B1.8 points: one per resource and day with a failed call)."""
    reasons = [f"{_local(alert['from'])} 至 {_local(alert['to'])} 共 {alert['calls']} 次调用，失败 {alert['failed']} 次"
               f"（{alert['failure_rate']}%），P95 时延 {alert['p95_ms']:.0f} 毫秒。"]
    title = f"【接口告警】本单位共享接口失败率 {alert['failure_rate']}%" if alert["reason"] == "failures" \
        else f"【接口告警】本单位共享接口响应缓慢（P95 {alert['p95_ms']:.0f} 毫秒）"
    advice = ["请尽快排查并恢复接口：共享政务数据每个资源每天调用失败一次即扣分（B1.8）。",
              f"失败的调用：GET /calls?provider={alert['unit']}&status=failed（共享交换服务）。"]
    text = "\n".join(["原因：", *(f"· {r}" for r in reasons), "建议：", *(f"· {a}" for a in advice)])
    return {"title": title, "text": text, "reasons": reasons, "advice": advice}


def _local(value: Any) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    return "时间不详"


def _deadline(due: datetime) -> str:
    """Deadlines are 00:00 of the next day; say 24:00 of the last day, as the rules do."""
    local = due.astimezone(SHANGHAI)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return f"{(local - timedelta(days=1)).strftime('%Y-%m-%d')} 24:00"
    return local.strftime("%Y-%m-%d %H:%M")


def undecided_requests(facts: ExchangeFacts, t: Instant | None = None) -> list[tuple[str, Instant]]:
    """(request id, decision deadline) of every forwarded request still undecided (3 working days, 5 for
    supervision data); with `t`, as the facts stood at t (forwarded by then, no decision by then)."""
    found = []
    for request_id, req in sorted(facts.requests.items()):
        start = req.clock_start()
        if start is None or (t is not None and start > t):
            continue
        if not any(t is None or at <= t for at, _ in req.decisions.values()):
            found.append((request_id, working_deadline_at(start, 5 if req.data_kind == "supervision" else 3)))
    return found


def open_requests(facts: ExchangeFacts, now: datetime) -> list[Obligation]:
    """Forwarded requests still undecided whose deadline has not passed."""
    return [Obligation(what=f"审核答复共享申请 {request_id}", due=to_datetime(due))
            for request_id, due in undecided_requests(facts) if to_datetime(due) > now]


def appeal_windows(causes: list[dict[str, Any]], working_days: int, now: datetime) -> list[Obligation]:
    """For each finding among the causes, until when the unit may appeal it (if that is still ahead)."""
    found = []
    for cause in causes:
        finding_id = (cause.get("details") or {}).get("finding_id")
        if cause.get("type") != "scoring.finding-recorded" or not finding_id or "occurred_at" not in cause:
            continue
        at = to_instant(datetime.fromisoformat(str(cause["occurred_at"])))
        due = to_datetime(working_deadline_at(at, working_days))
        if due > now:
            what = f"对督查发现 {finding_id} 提出申诉（如有异议；POST /findings/{finding_id}/appeal）"
            found.append(Obligation(what=what, due=due))
    return found
