"""`hub demo`: a realistic month driven through the services' public HTTP APIs (never Kafka directly).

The Guangxi unit directory, a requirement batch with a deadline, catalogues, mounts and updates,
access requests and decisions (some late), gateway calls against small local provider servers that
sometimes fail, quality disputes, data uses and inspectors' findings, spread over the month by moving
the services' simulated clocks day by day. Units get a profile (exemplary, ordinary, lagging) so the
leaderboard ends with a realistic spread. E-licenses: the departments that issue licenses claim their
types and declare their stock, import most (or little) of it, attach sealed OFD or PDF files, push new
licenses every working day (automatically with sealed OFD files, or by hand without), and service
windows use licenses to waive materials. Files are sealed by this machine's own seal authority
(HUB_HOME/seal), which the elicense service trusts.

The demo never assumes an empty hub: it first reads what exists through the APIs (units, resources and
their mounts, drafts, claims, requests and subscriptions), so it goes on from a run killed half-way or
plays a further month on an earlier one's data. Every random draw comes from a generator seeded by the
demo's seed and what is being decided (a unit, a day, a request), never from the order of earlier draws,
so a continued run decides as an uninterrupted one would have.
"""

from __future__ import annotations

import base64
import csv
import random
import time
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from contracts.resource_codes import build_resource_code
from contracts.values import make_uscc
from contracts.workdays import add_working_days, is_working_day
from hubkit.auth import Role, mint_token
from hubkit.settings import HubSettings
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from . import progress as saved
from .progress import SH, Plan, days_of
from .providers import ProviderServers

RESOURCE_KINDS = [
    ("行政许可信息", "unconditional", "daily"), ("行政处罚信息", "conditional", "daily"),
    ("监管对象名录", "conditional", "weekly"), ("业务办理结果", "unconditional", "daily"),
    ("统计年报数据", "unconditional", "monthly"), ("内部人事档案", "not_shared", "monthly"),
]
PROFILES = {  # share of units, update diligence, decision speed (days; None: never), gateway failure rate
    "exemplary": (0.3, 0.97, (1, 1), 0.0),
    "ordinary": (0.55, 0.85, (1, 3), 0.03),
    "lagging": (0.15, 0.35, None, 0.35),
}
LAGGING_FLAGS = ["A1.1", "A1.2", "A1.4", "A1.7", "A2.1", "A2.2", "A2.3", "A5.4", "A5.5", "B3.1", "C2.1", "B2.5"]
ORDINARY_FLAGS = ["A1.1", "A1.2", "A1.4", "A2.1", "A2.2", "A2.3", "A4.1", "A4.2", "A4.3", "A5.4", "B2.6", "B2.7",
                  "B2.8", "B3.1"]
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
    "exemplary": (1.0, 0.95, "auto_incremental", ["ofd", "ofd", "ofd", "pdf"]),
    "ordinary": (0.8, 0.6, "auto_incremental", ["ofd", "pdf", "none", "unsealed"]),
    "lagging": (0.3, 0.1, "manual", ["none", "none", "unsealed"]),
}
# The first month asks for the first catalogue batch; each later month for one more batch, in turn.
BATCHES = [("first_batch_catalog", "第一批政务数据资源目录"), ("business_environment", "营商环境领域政务数据资源"),
           ("high_frequency", "高频政务服务事项数据资源"), ("theme", "主题库政务数据资源")]
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
    mounted: dict[str, str] = field(default_factory=dict)  # code -> mount kind
    endpoints: set[str] = field(default_factory=set)  # API resources whose endpoint the exchange has
    license_types: list[str] = field(default_factory=list)
    to_file: list[str] = field(default_factory=list)  # imported stock that will be given a file
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


class Demo:
    def __init__(self, ports: dict[str, int], plan: Plan, home: Path, console: Console,
                 day_seconds: float = 0.0, provider_port: int | None = None) -> None:
        self.plan, self.home, self.console, self.day_seconds = plan, home, console, day_seconds
        self.progress = plan.progress
        self.month, self.seed = plan.month, plan.progress.seed
        self.provider_port = provider_port
        self.rng = self.rng_for("start")
        secret = HubSettings().jwt_secret
        self._secret = secret
        self.http = {name: httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) for name, port in
                     ports.items()}
        self.operator = {"Authorization": f"Bearer {mint_token(secret, role=Role.operator)}"}
        self.inspector = {"Authorization": f"Bearer {mint_token(secret, role=Role.inspector)}"}
        self._tokens: dict[str, dict[str, str]] = {}
        self.units: dict[str, Unit] = {}
        self.directory: list[dict[str, str]] = []
        self.open: list[Open] = []
        self.to_review: list[str] = []
        self.to_reply: list[str] = []
        self.subscriptions: list[tuple[str, str]] = []  # (consumer, code)
        self.counts: dict[str, int] = {}
        self.last_call = "none yet"
        from elicense.local import local_seal_authority
        from elicense.samples import SealAuthority

        self.seal = SealAuthority.load(local_seal_authority(home).parent)

    # ── plumbing ──────────────────────────────────────────────────────────────────────────
    def rng_for(self, *what: object) -> random.Random:
        """A generator for one decision: the same seed and subject give the same draws in any run."""
        return random.Random(":".join(map(str, (self.seed, *what))))

    def dept(self, unit: str) -> dict[str, str]:
        if unit not in self._tokens:
            token = mint_token(self._secret, role=Role.department, unit=unit)
            self._tokens[unit] = {"Authorization": f"Bearer {token}"}
        return self._tokens[unit]

    def call(self, service: str, method: str, path: str, headers: dict[str, str], what: str,
             ok: tuple[int, ...] = (200, 201, 202), **kwargs: Any) -> httpx.Response:
        self.last_call = f"{method} {service} {path}"
        r = self.http[service].request(method, path, headers=headers, **kwargs)
        self.last_call += f" → {r.status_code}"
        self.counts[what] = self.counts.get(what, 0) + 1
        if r.status_code not in ok:
            self.counts[f"{what} refused"] = self.counts.get(f"{what} refused", 0) + 1
        return r

    def read(self, service: str, path: str, headers: dict[str, str], ok: tuple[int, ...] = (200,),
             **params: Any) -> httpx.Response:
        """A read the demo cannot go on without: anything else stops it with the problem document."""
        self.last_call = f"GET {service} {path}"
        r = self.http[service].get(path, headers=headers, params=params)
        self.last_call += f" → {r.status_code}"
        if r.status_code not in ok:
            raise DemoFailed(f"{self.last_call}: {problem_of(r)}")
        return r

    def set_clock(self, when: datetime) -> None:
        for name, client in self.http.items():
            self.last_call = f"PUT {name} /admin/clock"
            r = client.put("/admin/clock", headers=self.operator, json={"now": when.isoformat()})
            if r.status_code not in (200, 409):  # 409: a clock already there (or on the system clock)
                raise DemoFailed(f"{self.last_call} → {r.status_code}: {problem_of(r)}")
        self.remember(clock=when.isoformat())

    def remember(self, **changes: Any) -> None:
        self.progress = replace(self.progress, **changes)
        saved.save(self.home, self.progress)

    # ── the month ─────────────────────────────────────────────────────────────────────────
    def run(self) -> None:
        days = [d for d in days_of(self.month) if d >= self.plan.first_day]
        start = self.plan.clock_start
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=self.console) as progress:
            setup = progress.add_task("what the hub holds, unit directory, requirements, license stock", total=3)
            self.load_directory()
            self.survey()
            progress.advance(setup)
            if not self.progress.setup_done:
                self.register_units(start)
                self.assign_requirements(start + timedelta(hours=9))
                if len(self.progress.months) == 1:  # the stock is imported once, in the hub's first month
                    self.claim_and_import(start + timedelta(hours=10))
                self.remember(setup_done=True)
            progress.advance(setup)
            self.prepare_licensing()
            progress.advance(setup)
            failure = {u: PROFILES[x.profile][3] for u, x in self.units.items()}
            with ProviderServers(failure, self.seed, self.provider_port) as providers:
                month_task = progress.add_task(f"simulating {self.month}", total=len(days))
                for day in days:
                    morning = datetime.combine(day, datetime.min.time(), tzinfo=SH) + timedelta(hours=9)
                    # Marked before its first call: a day a run was killed in is never played again.
                    self.remember(last_day=day.isoformat(),
                                  working_days=self.progress.working_days + is_working_day(day))
                    self.set_clock(morning)
                    if is_working_day(day):
                        self.rng = self.rng_for(day)
                        self.working_day(day, morning, providers)
                    self.set_clock(morning + timedelta(hours=9))
                    if self.day_seconds:
                        time.sleep(self.day_seconds)
                    progress.advance(month_task)
            close = progress.add_task("findings and month end", total=2)
            self.findings(days_of(self.month)[-1])
            progress.advance(close)
            self.month_end(days_of(self.month)[-1])
            self.remember(finished=True)
            progress.advance(close)

    # ── what exists ───────────────────────────────────────────────────────────────────────
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
        weights = [v[0] for v in PROFILES.values()]
        for index, row in enumerate(scored):
            profile = self.rng_for("profile", row["uscc"]).choices(list(PROFILES), weights=weights)[0]
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

    def survey(self) -> None:
        """Read through the APIs what an earlier run left: resources, drafts, mounts, claims, requests."""
        for u in self.units.values():
            found = self.read("catalog", "/resources", self.dept(u.uscc), unit=u.uscc, limit=1000).json()
            for r in found:
                if r["status"] == "published":
                    u.published.append(r["code"])
                    if r["mount_kind"]:
                        u.mounted[r["code"]] = r["mount_kind"]
                else:
                    u.drafts.append(r["code"])
            if issued_sector(u.kind, u.name) is not None:
                claim = self.read("elicense", f"/claims/{u.uscc}", self.operator, ok=(200, 404))
                if claim.status_code == 200:
                    u.license_types = [t["code"] for t in claim.json()["license_types"]]
        for r in self.read("exchange", "/requests", self.operator).json():
            if r["requester"] not in self.units or r["provider"] not in self.units:
                continue
            if r["status"] == "active":
                self.subscriptions.append((r["requester"], r["resource_code"]))
            elif r["status"] in ("submitted", "forwarded"):
                if r["status"] == "submitted":
                    self.to_review.append(r["id"])
                submitted = datetime.fromisoformat(r["submitted_at"]).astimezone(SH).date()
                self.open.append(Open(r["id"], r["requester"], r["provider"], r["resource_code"],
                                      self.decide_on(r["id"], r["provider"], submitted)))
            elif r["status"] in ("approved", "rejected"):
                self.to_reply.append(r["id"])
        held = sum(len(u.published) for u in self.units.values())
        if held:
            self.console.print(f"the hub holds {held} published resources, {len(self.subscriptions)} "
                               f"subscriptions and {len(self.open)} open requests of the demo's units")

    def decide_on(self, request_id: str, provider: str, submitted: date) -> date | None:
        """When the provider decides (None: never, it lets the request go overdue)."""
        rng = self.rng_for("decision", request_id)
        speed = PROFILES[self.units[provider].profile][2]
        if speed is None or rng.random() < 0.1:
            return None
        return add_working_days(submitted, 1 + rng.randint(*speed))

    # ── setup ─────────────────────────────────────────────────────────────────────────────
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
        later = len(self.progress.months) - 1  # the first month's batch is the first catalogue batch
        kind, title = BATCHES[(later - 1) % len(BATCHES) + 1] if later else BATCHES[0]
        parts = [{"unit": u.uscc, "resource_codes": u.month_codes} for u in self.units.values()]
        body = {"batch_kind": kind, "title": f"{self.month} {title}", "deadline": deadline.isoformat(),
                "units": parts}
        self.call("catalog", "PUT", f"/requirements/B{self.month.replace('-', '')}-01", self.operator,
                  "requirement batch", json=body)

    def stock_of(self, u: Unit) -> Stock | None:
        from elicense.domain import license_types

        sector = issued_sector(u.kind, u.name)
        if sector is None:
            return None
        rng = self.rng_for("stock", u.uscc)
        mine = [t for t in license_types.load().values() if t.sector == sector]
        claimed = [t.code for t in mine[: rng.randint(1, min(3, len(mine)))]]
        declared = {code: rng.randint(10, 30) for code in claimed}
        undeclared = u.profile == "lagging" and rng.random() < 0.5
        share, file_share, _, _ = LICENSING[u.profile]
        chosen = [t for t in mine if t.code in claimed]
        if u.profile == "lagging":
            chosen = chosen[:1]  # some claimed types never get any data
        n = round(sum(declared[t.code] for t in chosen) * share)
        return Stock(claimed, None if undeclared else declared, chosen, n, round(n * file_share), rng.randint(0, 10**6))

    def claim_and_import(self, at: datetime) -> None:
        from elicense.stock_gen import lines

        for u in self.units.values():
            stock = self.stock_of(u)
            if stock is None:
                continue
            self.call("elicense", "PUT", f"/claims/{u.uscc}", self.dept(u.uscc), "license types claimed",
                      json={"license_types": stock.license_types, "stock": stock.declared})
            u.license_types = stock.license_types
            if stock.count == 0:
                continue
            # Ids already there are skipped, so a setup interrupted and played again imports nothing twice.
            body = b"\n".join(lines(u.uscc, stock.imported_types, stock.count, seed=stock.stock_seed,
                                    authority=u.name)) + b"\n"
            r = self.call("elicense", "POST", "/licenses/import",
                          self.operator | {"Content-Type": "application/x-ndjson"}, "licenses imported (requests)",
                          params={"issuer": u.uscc}, content=body)
            if r.status_code == 200:
                self.counts["stock licenses imported"] = self.counts.get("stock licenses imported", 0) \
                    + r.json()["accepted"]

    def prepare_licensing(self) -> None:
        """Which imported stock still waits for a file: files go out five a working day, in order, from the
        first working day after the import, so the working days begun so far say how many went."""
        sent = FILES_PER_DAY * self.progress.working_days
        for u in self.units.values():
            stock = self.stock_of(u)
            if stock is not None and u.license_types:
                u.to_file = [f"STK-{u.uscc[8:17]}-{i:08d}" for i in range(sent, stock.files)]

    # ── a working day ─────────────────────────────────────────────────────────────────────
    def working_day(self, day: date, now: datetime, providers: ProviderServers) -> None:
        index = day.day
        for u in self.units.values():
            diligence = PROFILES[u.profile][1]
            # Cataloguing in the first days: each unit publishes what it is required to (or most of it).
            for code in u.codes:
                position = u.month_codes.index(code) + 1 if code in u.month_codes else 0
                if code in u.published or index < position or self.rng.random() > diligence:
                    continue
                self.catalogue(u, code)
            for code in u.published:
                if code in u.mounted or self.rng.random() > diligence:
                    continue
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
            for code in [c for c, k in u.mounted.items() if k == "api" and c not in u.endpoints]:
                # The exchange learns of the resource from the catalog's events, a moment after publishing;
                # registering again what it has is harmless, so a continued run simply registers them.
                if self.call("exchange", "PUT", f"/endpoints/{code}", self.dept(u.uscc), "endpoint registered",
                             ok=(200, 404), json={"base_url": providers.base_url(u.uscc),
                                                  "timeout_ms": 2000}).status_code == 200:
                    u.endpoints.add(code)
            for code in u.mounted:
                if self.rng.random() < diligence:
                    self.call("catalog", "POST", f"/resources/{code}/updates", self.dept(u.uscc), "data updated",
                              json={"records": self.rng.randint(10, 5000)})
        self.exchange_day(day)
        self.license_day(day)

    def catalogue(self, u: Unit, code: str) -> None:
        serial = int(code[-6:])
        name, share, cycle = RESOURCE_KINDS[(serial - 1) % len(RESOURCE_KINDS)]
        metadata: dict[str, Any] = {"name": f"{u.name.removeprefix('广西壮族自治区')}{name}",
                                    "share_type": share, "update_cycle": cycle, "domain": "综合政务",
                                    "summary": f"{u.name}{name}", "share_method": "共享交换平台",
                                    "items": [{"name": "统一社会信用代码", "type": "string", "length": 18},
                                              {"name": "名称", "type": "string", "length": 200}]}
        if serial > len(RESOURCE_KINDS):
            metadata["name"] += f"（{serial:02d}）"  # names are fixed once published, so they must differ
        if share == "conditional":
            metadata["share_condition"] = "仅用于政务服务事项办理和监管执法"
        if share == "not_shared":
            metadata["share_basis"] = "《中华人民共和国个人信息保护相关规定》"
        if serial == 2:
            metadata["classification"] = "监管数据/行政处罚"
        if code not in u.drafts:
            r = self.call("catalog", "POST", "/resources", self.dept(u.uscc), "resource catalogued",
                          json={"provider": u.uscc, "resource_code": code, "metadata": metadata})
            if r.status_code != 201:
                return
            u.drafts.append(code)
        if self.call("catalog", "POST", f"/resources/{code}/publish", self.dept(u.uscc),
                     "resource published").status_code == 200:
            u.drafts.remove(code)
            u.published.append(code)

    def exchange_day(self, day: date) -> None:
        # The bureau reviews yesterday's submissions and replies to decided requests.
        for request_id in self.to_review:
            self.call("exchange", "POST", f"/requests/{request_id}/review", self.operator, "request reviewed",
                      json={"passed": True})
        self.to_review = []
        for request_id in self.to_reply:
            r = self.call("exchange", "POST", f"/requests/{request_id}/reply", self.operator, "reply pushed")
            if r.status_code == 200 and r.json()["status"] == "active":
                self.subscriptions.append((r.json()["requester"], r.json()["resource_code"]))
        self.to_reply = []
        # Providers decide what is due today (lagging units leave theirs to go overdue).
        for item in [o for o in self.open if o.decide_on and o.decide_on <= day]:
            approve = self.rng_for("approve", item.request_id).random() < 0.85
            body = {"approve": approve, "reason": None if approve else "申请用途超出共享条件范围"}
            self.call("exchange", "POST", f"/requests/{item.request_id}/decision", self.dept(item.provider),
                      "request decided", json=body)
            self.open.remove(item)
            self.to_reply.append(item.request_id)
        # New requests from departments that need others' data.
        mounted = [(u, c) for u in self.units.values() for c in u.mounted]
        for _ in range(min(8, len(mounted))):
            provider, code = self.rng.choice(mounted)
            requester = self.rng.choice([u for u in self.units.values() if u.uscc != provider.uscc])
            r = self.call("exchange", "POST", "/requests", self.dept(requester.uscc), "request submitted",
                          ok=(201, 404), json={"resource_code": code, "purpose": "政务服务事项办理核验"})
            if r.status_code != 201:
                continue
            body = r.json()
            if body["status"] == "active":
                self.subscriptions.append((requester.uscc, code))
            elif body["status"] == "submitted":
                self.to_review.append(body["id"])
                self.open.append(Open(body["id"], requester.uscc, provider.uscc, code,
                                      self.decide_on(body["id"], provider.uscc, day)))
        # Gateway calls by subscribers of API resources; failures are the providers' systems failing.
        api = [(c, code) for c, code in self.subscriptions if code[-6:] == "000001"]
        for _ in range(min(40, len(api) * 3)):
            consumer, code = self.rng.choice(api)
            self.call("exchange", "GET", f"/gateway/{code}/query", self.dept(consumer), "gateway call",
                      ok=(200, 502, 504), params={"id": self.rng.randint(1, 10_000)})
        for consumer, code in self.rng.sample(self.subscriptions, min(3, len(self.subscriptions))):
            purpose = self.rng.choice(["general", "high_frequency", "business_environment"])
            self.call("exchange", "POST", "/data-uses", self.dept(consumer), "data used",
                      json={"resource_code": code, "purpose": purpose, "note": "免交营业执照复印件"})

    # ── e-licenses ─────────────────────────────────────────────────────────────────────────
    def license_file(self, kind: str, text: str) -> tuple[bytes, str] | None:
        from elicense.samples import sample_ofd, sample_pdf, signed_pdf

        if kind == "ofd":
            return sample_ofd(text, signed_by=self.seal), "application/ofd"
        if kind == "pdf":
            return signed_pdf(self.seal, [text]), "application/pdf"
        if kind == "unsealed":
            return sample_pdf([text]), "application/pdf"
        return None

    def license_day(self, day: date) -> None:
        from elicense.domain.holders import citizen_id_check_char
        from elicense.domain.license_types import load

        types = load()
        issuers = [u for u in self.units.values() if u.license_types]
        for u in issuers:
            mode, kinds = LICENSING[u.profile][2:]
            # Files for the imported stock, a few each working day.
            batch, u.to_file = u.to_file[:FILES_PER_DAY], u.to_file[FILES_PER_DAY:]
            for license_id in batch:
                kind = "ofd" if u.profile != "lagging" else "unsealed"
                made = self.license_file(kind, license_id)
                assert made is not None
                self.call("elicense", "PUT", f"/licenses/{license_id}/file",
                          self.dept(u.uscc) | {"Content-Type": made[1]}, "license file attached",
                          content=made[0], params={"mode": mode})
            # New licenses issued today; ids and numbers carry the day, so no two runs make the same one.
            for k in range(self.rng.randint(1, 3)):
                code = self.rng.choice(u.license_types)
                p = (day.toordinal() * 100 + u.index) * 4 + k
                if types[code].holder_kind == "person":
                    first17 = f"450103{date(1960 + p % 40, 1 + p % 12, 1 + p % 28):%Y%m%d}{p % 1000:03d}"
                    holder = first17 + citizen_id_check_char(first17)
                else:
                    holder = make_uscc("450100", f"MA{p % 10**6:06d}")
                license_id = f"INC-{u.uscc[8:17]}-{day:%Y%m%d}-{k}"
                body: dict[str, Any] = {"mode": mode, "license": {
                    "license_id": license_id, "license_type": code,
                    "number": f"{code[-3:]}{day:%y%m%d}{u.index:03d}{k}",
                    "holder_name": "示例持证人", "holder_id": holder, "issue_date": day.isoformat(),
                    "issuing_authority": u.name}}
                made = self.license_file(self.rng.choice(kinds), license_id)
                if made is not None:
                    body["file_base64"] = base64.b64encode(made[0]).decode()
                if self.call("elicense", "POST", "/licenses", self.dept(u.uscc), "license pushed",
                             json=body).status_code == 201:
                    u.licenses.append(license_id)
        # Service windows use licenses instead of asking for paper copies.
        usable = [(u.uscc, lid) for u in issuers for lid in u.licenses]
        windows = [u for u in self.units.values() if u.kind != "county"]
        for issuer, license_id in self.rng.sample(usable, min(12, len(usable))):
            window = self.rng.choice(windows)
            # A window uses an issuer's licenses once the bureau has authorised it to (免证办 item lists).
            self.call("elicense", "PUT", f"/use-authorisations/{issuer}/{window.uscc}", self.operator,
                      "use authorised", json={"license_types": None})
            self.call("elicense", "POST", "/uses", self.dept(window.uscc), "license used", json={
                "license_id": license_id, "item": "企业开办" if license_id[-1] in "02468" else "社会保障卡申领",
                "waived_materials": self.rng.randint(1, 3)})

    # ── the month's end ───────────────────────────────────────────────────────────────────
    def findings(self, last: date) -> None:
        at = datetime.combine(last - timedelta(days=3), datetime.min.time(), tzinfo=SH) + timedelta(hours=15)
        rng = self.rng_for("findings", self.month)
        n = 0
        for u in self.units.values():
            picks: list[dict[str, Any]] = []
            if u.profile == "lagging":
                picks += [{"item": i, "effect": "holds"} for i in rng.sample(LAGGING_FLAGS, 10)]
                picks += [{"item": "C2.4", "effect": "occurrence", "count": rng.randint(3, 8)},
                          {"item": "C2.2", "effect": "occurrence", "count": rng.randint(2, 6)},
                          {"item": "A3.6", "effect": "rate", "numerator": 2, "denominator": 10}]
            elif u.profile == "ordinary":
                picks += [{"item": i, "effect": "holds"}
                          for i in rng.sample(ORDINARY_FLAGS, rng.randint(4, 10))]
                picks += [{"item": "A3.6", "effect": "rate", "numerator": rng.randint(4, 10), "denominator": 10},
                          {"item": "C2.2", "effect": "occurrence", "count": rng.randint(1, 6)},
                          {"item": "C2.4", "effect": "occurrence", "count": rng.randint(0, 4) or 1}]
            else:
                picks += [{"item": i, "effect": "achieved"} for i in rng.sample(ACHIEVEMENTS, 2)]
            for pick in picks:
                n += 1
                body = {"finding_id": f"demo-{self.month}-{n}", "unit": u.uscc, "occurred_at": at.isoformat(),
                        "note": "督查发现", **pick}
                self.call("scoring", "POST", "/findings", self.inspector, "finding recorded", ok=(202, 409), json=body)

    def month_end(self, last: date) -> bool:
        """One fact just after the month ends moves the watermark past it: the month is then final.
        False when no unit has mounted anything to report an update of (then the next fact does it)."""
        after = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=SH) + timedelta(hours=9)
        self.set_clock(after)
        unit = next((u for u in self.units.values() if u.mounted), None)
        if unit is None:
            self.console.print(f"no unit has mounted a resource yet: {self.month} becomes final with the next fact")
            return False
        code = next(iter(unit.mounted))
        self.call("catalog", "POST", f"/resources/{code}/updates", self.dept(unit.uscc), "data updated",
                  json={"records": 1})
        return True

    def wait_for_scores(self, timeout: float = 180.0) -> dict[str, Any]:
        """Until scoring has folded every event up to the month's end (its watermark passed it)."""
        deadline = time.monotonic() + timeout
        year, month = map(int, self.month.split("-"))
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=SH)
        board: dict[str, Any] = {}
        while time.monotonic() < deadline:
            r = self.http["scoring"].get("/scores", params={"month": self.month}, headers=self.operator)
            if r.status_code == 200:
                board = r.json()
                if board.get("as_of") and datetime.fromisoformat(board["as_of"]) >= end and self._drained():
                    return board
            time.sleep(0.5)
        return board

    def board(self) -> dict[str, Any]:
        body: dict[str, Any] = self.read("scoring", "/scores", self.operator, ok=(200, 404), month=self.month).json()
        return body

    def _drained(self) -> bool:
        # Every service's outbox is empty once /health/ready says so is not exposed; a stable board will do.
        r1 = self.http["scoring"].get("/scores", params={"month": self.month}, headers=self.operator).json()
        time.sleep(1.5)
        r2 = self.http["scoring"].get("/scores", params={"month": self.month}, headers=self.operator).json()
        return bool(r1 == r2)


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

