"""The demo's cast and props: unit profiles, resource kinds, issuers, the units as the demo tracks
them, and the problem documents it reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

RESOURCE_KINDS = [
    ("行政许可信息", "unconditional", "daily"), ("行政处罚信息", "conditional", "daily"),
    ("监管对象名录", "conditional", "weekly"), ("业务办理结果", "unconditional", "daily"),
    ("统计年报数据", "unconditional", "monthly"), ("内部人事档案", "not_shared", "monthly"),
]


def resource_kind(code: str) -> tuple[str, str, str]:
    """(name, share type, update cycle) the demo gives a department resource, by its code's serial."""
    return RESOURCE_KINDS[(int(code[-6:]) - 1) % len(RESOURCE_KINDS)]


PROFILES = {  # share of units, update diligence, decision speed (days; None: never), gateway failure rate
    "exemplary": (0.3, 0.97, (1, 1), 0.0),
    "ordinary": (0.55, 0.85, (1, 3), 0.03),
    "lagging": (0.15, 0.35, None, 0.35),
}
PROFILE_STEPS = ("lagging", "ordinary", "exemplary")  # worst to best: a unit improves or slips a step at a time
# Flags an inspector judges (documents a unit must submit are the hub's own findings, from submissions;
# so are the private-network flags A1.4 and A1.7, from the units' system inventories).
LAGGING_FLAGS = ["A4.2", "A4.3", "A3.1", "A4.1", "A4.4", "A5.1", "A5.4", "A5.5", "B3.1", "C2.1", "B2.5", "A5.6"]
ORDINARY_FLAGS = ["A3.1", "A4.1", "A4.2", "A4.3", "A4.5", "A5.4", "A5.6", "B2.6", "B2.7", "B2.8", "B3.1",
                  "A5.1", "A4.4"]
ACHIEVEMENTS = ["D1", "D3", "D7"]
# Issuing departments: a distinctive part of the unit's name -> the sector of the license types it issues.
ISSUERS = {"市场监督管理局": "国家市场监督管理总局", "公安厅": "公安部", "民政厅": "民政部",
           "人力资源和社会保障厅": "人力资源和社会保障部", "住房和城乡建设厅": "住房和城乡建设部",
           "自然资源厅": "自然资源部", "交通运输厅": "交通运输部", "卫生健康委员会": "国家卫生健康委员会",
           "教育厅": "教育部", "生态环境厅": "生态环境部", "应急管理厅": "应急管理部", "农业农村厅": "农业农村部",
           "文化和旅游厅": "文化和旅游部", "商务厅": "商务部", "林业局": "国家林业和草原局", "水利厅": "水利部",
           "药品监督管理局": "国家药品监督管理局", "司法厅": "司法部", "退役军人事务厅": "退役军人事务部",
           "广播电视局": "国家广播电视总局"}
# Per profile: share of the declared stock imported, share of stock given a file, daily pushes (mode, file kinds)
LICENSING = {
    "exemplary": (1.0, 0.95, "auto_incremental", ["ofd", "ses", "ses", "pdf"]),
    "ordinary": (0.8, 0.6, "auto_incremental", ["ofd", "ses", "pdf", "none", "unsealed"]),
    "lagging": (0.3, 0.1, "manual", ["none", "none", "unsealed"]),
}
# The first month asks for the first catalogue batch; each later month for one more batch, in turn.
BATCHES = [("first_batch_catalog", "第一批政务数据资源目录"), ("business_environment", "营商环境领域政务数据资源"),
           ("high_frequency", "高频政务服务事项数据资源"), ("theme", "主题库政务数据资源")]


def batch_of(later: int) -> tuple[str, str]:
    """The requirement batch of the hub's month number `later` (0: its first): the first catalogue batch, then
    the other kinds in turn, again and again."""
    return BATCHES[(later - 1) % (len(BATCHES) - 1) + 1] if later else BATCHES[0]


FILES_PER_DAY = 5  # stock licenses given a file per issuer and working day


class DemoFailed(Exception):
    """A step the demo cannot go on without: which call, what came back (the problem document)."""


@dataclass
class Unit:
    uscc: str
    name: str
    kind: str
    division: str
    index: int  # position in the directory, for ids that must differ between units
    profile: str = "ordinary"
    codes: list[str] = field(default_factory=list)  # every resource the requirement batches ask of it
    month_codes: list[str] = field(default_factory=list)  # those asked for in the month being played
    published: list[str] = field(default_factory=list)
    drafts: list[str] = field(default_factory=list)  # catalogued, not yet published (a run stopped between)
    returned: list[str] = field(default_factory=list)  # returned by the bureau, to be fixed and resubmitted
    fixed: list[str] = field(default_factory=list)  # returned once: fixed, and not returned again
    noticed: list[str] = field(default_factory=list)  # approved, published when their public notice ends
    mounted: dict[str, str] = field(default_factory=dict)  # code -> mount kind
    endpoints: set[str] = field(default_factory=set)  # API resources whose endpoint the exchange has
    license_types: list[str] = field(default_factory=list)
    to_file: list[tuple[str, str]] = field(default_factory=list)  # imported stock to be given a file (id, number)
    licenses: list[str] = field(default_factory=list)  # pushed by this run (valid, usable at windows)


@dataclass
class Open:
    request_id: str
    requester: str
    provider: str
    code: str
    decide_on: date | None


@dataclass(frozen=True)
class Stock:
    """An issuer's claim and stock, decided once from the seed: the first month imports it, later months
    only need to know which of it is still waiting for a file."""

    license_types: list[str]
    declared: dict[str, int] | None
    imported_types: list[Any]
    count: int
    files: int
    stock_seed: int


def issued_sector(kind: str, name: str) -> str | None:
    """The sector whose license types a unit issues: departments named in ISSUERS only."""
    if kind != "department":
        return None
    return next((sec for mark, sec in ISSUERS.items() if mark in name), None)


def sample(rows: list[dict[str, str]], n: int) -> list[dict[str, str]]:
    """`n` units in turn from the issuing departments, the cities and the other departments, so that a
    small demo still has licenses, cities and departments without licenses."""
    def issues(r: dict[str, str]) -> bool:
        return issued_sector(r["kind"], r["name"]) is not None

    groups = [[r for r in rows if issues(r)], [r for r in rows if r["kind"] == "city"],
              [r for r in rows if r["kind"] == "department" and not issues(r)]]
    chosen: list[dict[str, str]] = []
    while len(chosen) < min(n, len(rows)):
        for group in groups:
            if group and len(chosen) < n:
                chosen.append(group.pop(0))
    return chosen


def problem_of(r: httpx.Response) -> str:
    """The problem document's title and detail, or the start of whatever else came back."""
    try:
        doc = r.json()
    except ValueError:
        return r.text[:300] or "(empty answer)"
    if isinstance(doc, dict) and ("detail" in doc or "title" in doc):
        return f"{doc.get('title', '')}: {doc.get('detail', '')}".strip(": ")
    return str(doc)[:300]

