"""The base and theme catalogs of the demo (seed 003 §5.1.1, §6.1): on the 10th of the hub's first month the
unit that leads each compiles it from the department resources published so far, gathering them by their
codes (关联资源代码), and the bureau reviews it like any other submission. The same day two units turn out to
collect the same data (重复采集, §6.2.6): the bureau finds the pair among the candidates and confirms the first
collector as its authoritative source."""

from __future__ import annotations

from datetime import date

from contracts.resource_codes import build_resource_code

from .cast import Unit, resource_kind
from .client import DemoBase

# (catalog, item, name, domain, the leading unit's name if it is among the demo's units, what it gathers)
COMPILED = [
    ("base", "02", "法人综合库", "综合政务", "大数据发展局", ("行政许可信息", "业务办理结果")),
    ("theme", "01", "营商环境主题库", "营商环境", "发展和改革委员会", ("行政处罚信息", "监管对象名录")),
]
GATHER_DAY = 10
DUPLICATE_SERIAL = 900  # far from the serials requirement batches ask for, so no later batch's code is taken
PEOPLE_ITEMS = ("公民身份号码", "姓名", "性别", "出生日期", "户籍地址")


class GatheringActs(DemoBase):
    gathered = False

    def gather_day(self, day: date) -> None:
        if self.gathered or self.month != self.progress.months[0] or day.day < GATHER_DAY:
            return
        self.gathered = True
        units = [u for u in self.units.values() if u.kind == "department"] or list(self.units.values())
        for n, (catalog, item, name, domain, leader_name, sources) in enumerate(COMPILED):
            leader = next((u for u in units if leader_name in u.name), units[n % len(units)])
            gathered = [code for u in self.units.values() for code in u.published
                        if code[0] == "3" and resource_kind(code)[0] in sources][:12]
            if gathered:
                self.compile(leader, catalog, item, name, domain, gathered)
        if len(units) >= 2:
            self.collect_twice(units[0], units[1])

    def compile(self, leader: Unit, catalog: str, item: str, name: str, domain: str, gathered: list[str]) -> None:
        known = self.read("catalog", "/resources", self.dept(leader.uscc), unit=leader.uscc, catalog=catalog).json()
        if any(r["metadata"]["name"] == name for r in known):
            return  # compiled by an earlier run
        metadata = {"name": name, "share_type": "conditional", "update_cycle": "daily", "domain": domain,
                    "summary": f"汇聚{len(gathered)}项部门数据资源的{name}", "share_method": "共享交换平台",
                    "share_condition": "仅用于政务服务和监管", "open_type": "not_open", "related_codes": gathered,
                    "items": [{"name": "统一社会信用代码", "type": "string", "length": 18, "key": True}]}
        r = self.call("catalog", "POST", "/resources", self.dept(leader.uscc), "base or theme resource compiled",
                      json={"provider": leader.uscc, "catalog": catalog, "item": item, "metadata": metadata})
        if r.status_code != 201:
            return
        code = r.json()["code"]
        self.call("catalog", "POST", f"/resources/{code}/submit", self.dept(leader.uscc), "resource submitted")
        self.call("catalog", "POST", f"/resources/{code}/review", self.operator, "submission approved",
                  json={"decision": "approve", "notice_days": 0})

    def collect_twice(self, first: Unit, second: Unit) -> None:
        """Two units catalogue the same population register; the bureau confirms the first as authoritative."""
        codes = []
        sides = ((first, "户籍人口基本信息", "户籍地址"), (second, "人口户籍登记信息", "婚姻状况"))
        for n, (u, name, last) in enumerate(sides):
            code = build_resource_code(u.division, u.uscc, DUPLICATE_SERIAL + n)
            items = [{"name": i, "type": "string"} for i in (*PEOPLE_ITEMS[:4], last)]
            metadata = {"name": name, "share_type": "conditional", "share_condition": "仅用于政务服务身份核验",
                        "update_cycle": "daily", "domain": "公安", "items": items, "open_type": "not_open"}
            r = self.call("catalog", "POST", "/resources", self.dept(u.uscc), "resource catalogued", ok=(201, 409),
                          json={"provider": u.uscc, "resource_code": code, "metadata": metadata})
            if r.status_code == 201:
                self.call("catalog", "POST", f"/resources/{code}/submit", self.dept(u.uscc), "resource submitted")
                self.call("catalog", "POST", f"/resources/{code}/review", self.operator, "submission approved",
                          json={"decision": "approve", "notice_days": 0})
            codes.append(code)
        found = self.read("catalog", "/duplicates/candidates", self.operator, limit=1000).json()
        if any({c["a"]["code"], c["b"]["code"]} == set(codes) for c in found):
            self.call("catalog", "POST", "/duplicates", self.operator, "duplicate confirmed", json={
                "codes": codes, "decision": "confirm", "authoritative": codes[0],
                "reason": f"{first.name}为第一采集部门（一数一源）"})
