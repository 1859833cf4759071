"""The catalog's part of the demo: the unit directory and its profiles, requirement batches, and each
unit's working day with its resources (catalogue, submit and have the bureau review, mount, register API
endpoints, deliver table batches through the exchange, report other updates)."""

from __future__ import annotations

import csv
import hashlib
from datetime import date, datetime, timedelta
from typing import Any

import orjson
from contracts.resource_codes import build_resource_code

from .cast import PROFILE_STEPS, PROFILES, RESOURCE_KINDS, Unit, batch_of, resource_kind, sample
from .client import DemoBase
from .progress import SH, days_of
from .providers import ProviderServers

JSONL = "application/x-ndjson"
FULLER_SUMMARY = "，覆盖全区范围，按更新周期增量更新"


class CatalogActs(DemoBase):
    def load_directory(self) -> None:
        """The reference directory (or an even spread of `units` of it); profiles and the resources each
        requirement batch asks for follow from the seed, so every run agrees on them."""
        from catalog.cli import REFERENCE  # the unit directory the catalog ships with (package data)

        with REFERENCE.open(encoding="utf-8") as f:
            rows = sorted(csv.DictReader(f), key=lambda r: r["kind"] == "county")
        scored = [r for r in rows if r["kind"] != "county"]
        if self.progress.units:
            scored = rows = sample(scored, self.progress.units)
        self.directory = rows
        for index, row in enumerate(scored):
            profile = self.profile_of(row["uscc"])
            unit = Unit(row["uscc"], row["name"], row["kind"], row["division_code"], index, profile)
            serial = 0
            for month in self.progress.months:
                # The first batch asks for 3 to 5 resources, each later month's for 1 or 2 more.
                n = self.rng_for("batch", month, unit.uscc).randint(*((3, 5) if serial == 0 else (1, 2)))
                codes = [build_resource_code(unit.division, unit.uscc, s) for s in range(serial + 1, serial + n + 1)]
                serial += n
                unit.codes += codes
                if month == self.month:
                    unit.month_codes = codes
            self.units[unit.uscc] = unit

    def profile_of(self, uscc: str) -> str:
        """The unit's profile this month: drawn once from the seed for the hub's first month, then, for a unit
        that improves or slips (four in ten), a step up or down in about every other later month."""
        step = PROFILE_STEPS.index(self.rng_for("profile", uscc).choices(
            list(PROFILES), weights=[v[0] for v in PROFILES.values()])[0])
        trend = self.rng_for("trend", uscc).choices((0, 1, -1), weights=(6, 2.5, 1.5))[0]
        for month in self.progress.months[1:self.progress.months.index(self.month) + 1]:
            if trend and self.rng_for("drift", uscc, month).random() < 0.5:
                step = min(max(step + trend, 0), len(PROFILE_STEPS) - 1)
        return PROFILE_STEPS[step]

    def survey_resources(self, u: Unit) -> None:
        """What an earlier run left of a unit's resources: published (and mounted) ones, those in their public
        notice, returned ones and drafts."""
        # Its department resources (a base or theme catalog it leads is compiled once, acts_gathering.py).
        for r in self.read("catalog", "/resources", self.dept(u.uscc), unit=u.uscc, catalog="department",
                           limit=1000).json():
            if r["status"] == "published":
                u.published.append(r["code"])
                if r["mount_kind"]:
                    u.mounted[r["code"]] = r["mount_kind"]
            elif r["status"] == "in_notice":
                u.noticed.append(r["code"])
            elif r["status"] == "returned":
                u.returned.append(r["code"])
                u.fixed.append(r["code"])
            else:  # a draft, or submitted and awaiting the bureau
                u.drafts.append(r["code"])

    def register_units(self, at: datetime) -> None:
        known = {u["uscc"] for u in self.read("catalog", "/units", self.operator).json()}
        for row in self.directory:
            if row["uscc"] in known:
                continue
            body = {"uscc": row["uscc"], "name": row["name"], "kind": row["kind"],
                    "division_code": row["division_code"], "parent_unit": row["parent_unit"] or None,
                    "absent_indicators": [a for a in (row["absent_indicators"] or "").split(";") if a],
                    "occurred_at": at.isoformat()}
            self.call("catalog", "PUT", f"/units/{row['uscc']}", self.operator, "unit registered", json=body)

    def assign_requirements(self, at: datetime) -> None:
        days = days_of(self.month)
        deadline = days[14]
        kind, title = batch_of(len(self.progress.months) - 1)
        parts = [{"unit": u.uscc, "resource_codes": u.month_codes} for u in self.units.values()]
        body = {"batch_kind": kind, "title": f"{self.month} {title}", "deadline": deadline.isoformat(),
                "units": parts}
        self.call("catalog", "PUT", f"/requirements/B{self.month.replace('-', '')}-01", self.operator,
                  "requirement batch", json=body)

    def catalog_day(self, u: Unit, day: date, providers: ProviderServers) -> None:
        """A unit's working day with its resources; its diligence decides how much of it gets done."""
        diligence = PROFILES[u.profile][1]
        # Cataloguing in the first days: each unit publishes what it is required to (or most of it).
        for code in u.codes:
            position = u.month_codes.index(code) + 1 if code in u.month_codes else 0
            if code in u.published or day.day < position or self.rng.random() > diligence:
                continue
            self.catalogue(u, code)
        for code in u.published:
            if code in u.mounted or self.rng.random() > diligence:
                continue
            self.mount(u, code, providers)
        for code in [c for c, k in u.mounted.items() if k == "api" and c not in u.endpoints]:
            # The exchange learns of the resource from the catalog's events, a moment after publishing;
            # registering again what it has is harmless, so a continued run simply registers them.
            if self.call("exchange", "PUT", f"/endpoints/{code}", self.dept(u.uscc), "endpoint registered",
                         ok=(200, 404), json={"base_url": providers.base_url(u.uscc),
                                              "timeout_ms": 2000}).status_code == 200:
                u.endpoints.add(code)
        for code in u.mounted:
            if self.rng.random() < diligence:
                self.update(u, code, day, self.rng.randint(10, 5000))

    def weekend_feeds(self, day: date) -> None:
        """Exemplary units feed their daily data by an automated job, weekends included; the others leave
        it until Monday, and a daily resource goes stale over the weekend (B1.6)."""
        for u in self.units.values():
            if u.profile != "exemplary":
                continue
            rng = self.rng_for("weekend feed", day, u.uscc)
            for code in u.mounted:
                if resource_kind(code)[2] == "daily":
                    self.update(u, code, day, rng.randint(10, 5000))

    def update(self, u: Unit, code: str, day: date, records: int) -> None:
        """A table's data is delivered through the exchange as a batch of rows, a file's as a new version of the
        file (the delivery is the update); an API's update is reported to the catalog. A resource the exchange
        has not heard mounted yet (its events are a moment behind) waits for the next day."""
        kind = u.mounted.get(code)
        if kind == "api":
            self.call("catalog", "POST", f"/resources/{code}/updates", self.dept(u.uscc), "data updated",
                      json={"records": records})
            return
        rows = []
        for n in range(1 + records % 20):  # the day's new records, keyed by a made-up credit code
            key = hashlib.sha256(f"{code}/{day}/{n}".encode()).hexdigest()[:17].upper()
            rows.append({"统一社会信用代码": f"9{key}", "名称": f"企业{key[:6]}"})
        if kind == "table":
            body = b"\n".join(orjson.dumps({"op": "insert", "row": row}) for row in rows)
            self.call("exchange", "POST", f"/tables/{code}/batches", self.dept(u.uscc) | {"content-type": JSONL},
                      "table batch delivered", ok=(201, 409), content=body)
            return
        content = ("统一社会信用代码,名称\n" + "".join(f"{r['统一社会信用代码']},{r['名称']}\n" for r in rows)).encode()
        digest = hashlib.sha256(content).hexdigest()
        headers = self.dept(u.uscc) | {"content-type": "text/csv", "x-content-sha256": digest}
        self.call("exchange", "POST", f"/files/{code}/versions", headers, "file version uploaded",
                  ok=(200, 201, 409), content=content, params={"name": f"{code}-{day:%Y%m%d}.csv"})

    def mount(self, u: Unit, code: str, providers: ProviderServers) -> None:
        """The first resource of a unit is an API on its provider server, the others tables or files."""
        serial = int(code[-6:])
        kind = "api" if serial == 1 else "table" if serial % 2 else "file"
        mount: dict[str, Any] = {"kind": kind}
        if kind == "api":
            mount |= {"url": providers.base_url(u.uscc), "method": "GET"}
        elif kind == "table":
            mount |= {"system": "前置库", "table": f"t_{code[-6:]}"}
        else:
            mount |= {"url": f"https://files.gxzf.example/{code}.xlsx", "file_name": f"{code}.xlsx"}
        if self.call("catalog", "PUT", f"/resources/{code}/mount", self.dept(u.uscc),
                     "resource mounted", json=mount).status_code == 200:
            u.mounted[code] = kind

    def metadata_of(self, u: Unit, code: str) -> dict[str, Any]:
        serial = int(code[-6:])
        name, share, cycle = resource_kind(code)
        metadata: dict[str, Any] = {"name": f"{u.name.removeprefix('广西壮族自治区')}{name}",
                                    "share_type": share, "update_cycle": cycle, "domain": "综合政务",
                                    "summary": f"{u.name}{name}", "share_method": "共享交换平台",
                                    "items": [{"name": "统一社会信用代码", "type": "string", "length": 18,
                                               "key": True},
                                              {"name": "名称", "type": "string", "length": 200, "required": True}]}
        if serial > len(RESOURCE_KINDS):
            metadata["name"] += f"（{serial:02d}）"  # names are fixed once published, so they must differ
        # What is shared without condition is open to the public too (the open-data catalog lists it).
        metadata["open_type"] = "open" if share == "unconditional" else "not_open"
        if share == "conditional":
            metadata["share_condition"] = "仅用于政务服务事项办理和监管执法"
        if share == "not_shared":
            metadata["share_basis"] = "《中华人民共和国个人信息保护相关规定》"
        if serial == 2:
            metadata["classification"] = "监管数据/行政处罚"
        if code in u.fixed:  # what the bureau asked for when it returned the submission
            metadata["summary"] += FULLER_SUMMARY
        return metadata

    def catalogue(self, u: Unit, code: str) -> None:
        """Catalogue (or fix what the bureau returned), submit, and have the bureau review it the same day."""
        if code in u.noticed:
            self.after_notice(u, code)
            return
        metadata = self.metadata_of(u, code)
        if code in u.returned:
            if self.call("catalog", "PUT", f"/resources/{code}/metadata", self.dept(u.uscc), "returned resource fixed",
                         json={"metadata": metadata}).status_code != 200:
                return
            u.returned.remove(code)
        elif code not in u.drafts:
            r = self.call("catalog", "POST", "/resources", self.dept(u.uscc), "resource catalogued",
                          json={"provider": u.uscc, "resource_code": code, "metadata": metadata})
            if r.status_code != 201:
                return
            u.drafts.append(code)
        self.call("catalog", "POST", f"/resources/{code}/submit", self.dept(u.uscc), "resource submitted",
                  ok=(200, 409))  # 409: submitted by an earlier run, awaiting the bureau
        self.review(u, code)

    def review(self, u: Unit, code: str) -> None:
        """The bureau returns about one first submission in six (the summary leaves out the data's scope), and
        gives about one approval in five of the hub's first month a short public notice (公示); the rest is
        published at once."""
        rng = self.rng_for("review", code)
        if code not in u.fixed and rng.random() < 1 / 6:
            reasons = [{"field": "summary", "reason": "摘要未说明数据范围和更新方式，请补充后重新报送"}]
            if self.call("catalog", "POST", f"/resources/{code}/review", self.operator, "submission returned",
                         json={"decision": "return", "reasons": reasons}).status_code == 200:
                u.returned.append(code)
                u.fixed.append(code)
            return
        first_month = self.month == self.progress.months[0]
        notice = 2 if first_month and rng.random() < 1 / 5 else 0
        r = self.call("catalog", "POST", f"/resources/{code}/review", self.operator, "submission approved",
                      json={"decision": "approve", "notice_days": notice})
        if r.status_code != 200:
            return
        if code in u.drafts:
            u.drafts.remove(code)
        if r.json()["status"] == "published":
            u.published.append(code)
        else:
            u.noticed.append(code)  # published by the catalog's clock when the notice ends

    def after_notice(self, u: Unit, code: str) -> None:
        if self.read("catalog", f"/resources/{code}", self.dept(u.uscc)).json()["status"] == "published":
            u.noticed.remove(code)
            u.published.append(code)

    def month_end(self, last: date) -> bool:
        """One fact just after the month ends moves the watermark past it: the month is then final.
        False when no unit has mounted anything to report an update of (then the next fact does it)."""
        after = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=SH) + timedelta(hours=9)
        self.set_clock(after)
        mounted = [(u, code) for u in self.units.values() for code in u.mounted]
        if not mounted:
            self.console.print(f"no unit has mounted a resource yet: {self.month} becomes final with the next fact")
            return False
        # An API's reported update says it at once; a delivery reaches scoring through the catalog.
        unit, code = min(mounted, key=lambda m: m[0].mounted[m[1]] != "api")
        self.update(unit, code, last + timedelta(days=1), 1)
        return True
