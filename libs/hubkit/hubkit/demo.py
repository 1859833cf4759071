"""`hub demo`: a realistic month driven through the services' public HTTP APIs (never Kafka directly).

The Guangxi unit directory, a first-batch requirement with a deadline, catalogues, mounts and updates,
access requests and decisions (some late), gateway calls against small local provider servers that
sometimes fail, quality disputes, data uses and inspectors' findings, spread over the month by moving
the services' simulated clocks day by day. Units get a profile (exemplary, ordinary, lagging) so the
leaderboard ends with a realistic spread. E-licenses: the departments that issue licenses claim their
types and declare their stock, import most (or little) of it, attach sealed OFD or PDF files, push new
licenses every working day (automatically with sealed OFD files, or by hand without), and service
windows use licenses to waive materials. Files are sealed by this machine's own seal authority
(HUB_HOME/seal), which the elicense service trusts.
"""

from __future__ import annotations

import asyncio
import csv
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import uvicorn
from contracts.resource_codes import build_resource_code
from contracts.values import make_uscc
from contracts.workdays import add_working_days, is_working_day
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .auth import Role, mint_token
from .runtime.ports import free_port
from .settings import HubSettings

SH = ZoneInfo("Asia/Shanghai")
REFERENCE = Path(__file__).resolve().parents[3] / "infra" / "reference" / "units.csv"
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


@dataclass
class Unit:
    uscc: str
    name: str
    kind: str
    division: str
    profile: str = "ordinary"
    codes: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    mounted: dict[str, str] = field(default_factory=dict)  # code -> mount kind
    endpoints: set[str] = field(default_factory=set)  # API resources whose endpoint the exchange has
    license_types: list[str] = field(default_factory=list)
    to_file: list[str] = field(default_factory=list)  # imported stock that will be given a file
    licenses: list[str] = field(default_factory=list)  # pushed day by day (valid, usable at windows)


@dataclass
class Open:
    request_id: str
    requester: str
    provider: str
    code: str
    decide_on: date | None


class ProviderServers:
    """The provider systems behind API resources: one local HTTP server; each unit's path fails at its rate."""

    def __init__(self, failure: dict[str, float], seed: int, port: int | None = None) -> None:
        rng = random.Random(seed)

        async def answer(request: Request) -> Response:
            unit = request.path_params["unit"]
            if rng.random() < failure.get(unit, 0.0):
                return Response("provider system error", status_code=503)
            return JSONResponse({"unit": unit, "records": rng.randint(1, 50)})

        self.port = port or free_port()  # the port the hub's egress policy was told to allow
        app = Starlette(routes=[Route("/u/{unit}/{rest:path}", answer, methods=["GET", "POST"])])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()), daemon=True)

    def __enter__(self) -> ProviderServers:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)

    def base_url(self, unit: str) -> str:
        return f"http://127.0.0.1:{self.port}/u/{unit}"


class Demo:
    def __init__(self, ports: dict[str, int], month: str, seed: int, console: Console,
                 day_seconds: float = 0.0, provider_port: int | None = None) -> None:
        self.month, self.console, self.day_seconds = month, console, day_seconds
        self.provider_port = provider_port
        self.rng = random.Random(seed)
        secret = HubSettings().jwt_secret
        self._secret = secret
        self.http = {name: httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) for name, port in
                     ports.items()}
        self.operator = {"Authorization": f"Bearer {mint_token(secret, role=Role.operator)}"}
        self.inspector = {"Authorization": f"Bearer {mint_token(secret, role=Role.inspector)}"}
        self._tokens: dict[str, dict[str, str]] = {}
        self.units: dict[str, Unit] = {}
        self.open: list[Open] = []
        self.to_review: list[str] = []
        self.to_reply: list[str] = []
        self.subscriptions: list[tuple[str, str]] = []  # (consumer, code)
        self.counts: dict[str, int] = {}
        self.seed = seed
        from elicense.samples import SealAuthority

        from .runtime.launcher import hub_home, local_seal_authority

        self.seal = SealAuthority.load(local_seal_authority(hub_home()).parent)
        self.pushed = 0

    # ── plumbing ──────────────────────────────────────────────────────────────────────────
    def dept(self, unit: str) -> dict[str, str]:
        if unit not in self._tokens:
            token = mint_token(self._secret, role=Role.department, unit=unit)
            self._tokens[unit] = {"Authorization": f"Bearer {token}"}
        return self._tokens[unit]

    def call(self, service: str, method: str, path: str, headers: dict[str, str], what: str,
             ok: tuple[int, ...] = (200, 201, 202), **kwargs: Any) -> httpx.Response:
        r = self.http[service].request(method, path, headers=headers, **kwargs)
        self.counts[what] = self.counts.get(what, 0) + 1
        if r.status_code not in ok:
            self.counts[f"{what} refused"] = self.counts.get(f"{what} refused", 0) + 1
        return r

    def set_clock(self, when: datetime) -> None:
        for name, client in self.http.items():
            r = client.put("/admin/clock", headers=self.operator, json={"now": when.isoformat()})
            if r.status_code not in (200, 409):
                raise RuntimeError(f"{name}: cannot move the clock: {r.text}")

    def days(self) -> Iterator[date]:
        year, month = map(int, self.month.split("-"))
        d = date(year, month, 1)
        while d.month == month:
            yield d
            d += timedelta(days=1)

    # ── the month ─────────────────────────────────────────────────────────────────────────
    def run(self) -> None:
        days = list(self.days())
        start = datetime.combine(days[0], datetime.min.time(), tzinfo=SH)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=self.console) as progress:
            setup = progress.add_task("unit directory, requirements, license stock", total=2)
            self.register_units(start)
            progress.advance(setup)
            self.assign_requirements(start + timedelta(hours=9), days)
            progress.advance(setup)
            self.claim_and_import(start + timedelta(hours=10))
            failure = {u: PROFILES[x.profile][3] for u, x in self.units.items()}
            with ProviderServers(failure, self.seed, self.provider_port) as providers:
                month_task = progress.add_task(f"simulating {self.month}", total=len(days))
                for day in days:
                    morning = datetime.combine(day, datetime.min.time(), tzinfo=SH) + timedelta(hours=9)
                    self.set_clock(morning)
                    if is_working_day(day):
                        self.working_day(day, morning, providers)
                    self.set_clock(morning + timedelta(hours=9))
                    if self.day_seconds:
                        time.sleep(self.day_seconds)
                    progress.advance(month_task)
            close = progress.add_task("findings and month end", total=2)
            self.findings(days[-1])
            progress.advance(close)
            self.month_end(days[-1])
            progress.advance(close)

    def register_units(self, at: datetime) -> None:
        with REFERENCE.open(encoding="utf-8") as f:
            rows = sorted(csv.DictReader(f), key=lambda r: r["kind"] == "county")
        weights = [v[0] for v in PROFILES.values()]
        for row in rows:
            body = {"uscc": row["uscc"], "name": row["name"], "kind": row["kind"],
                    "division_code": row["division_code"], "parent_unit": row["parent_unit"] or None,
                    "absent_indicators": [a for a in (row["absent_indicators"] or "").split(";") if a],
                    "occurred_at": at.isoformat()}
            self.call("catalog", "PUT", f"/units/{row['uscc']}", self.operator, "unit registered", json=body)
            if row["kind"] != "county":
                profile = self.rng.choices(list(PROFILES), weights=weights)[0]
                self.units[row["uscc"]] = Unit(row["uscc"], row["name"], row["kind"], row["division_code"], profile)

    def assign_requirements(self, at: datetime, days: list[date]) -> None:
        deadline = days[14]
        parts = []
        for u in self.units.values():
            n = self.rng.randint(3, 5)
            u.codes = [build_resource_code(u.division, u.uscc, s) for s in range(1, n + 1)]
            parts.append({"unit": u.uscc, "resource_codes": u.codes})
        body = {"batch_kind": "first_batch_catalog", "title": f"{self.month} 第一批政务数据资源目录",
                "deadline": deadline.isoformat(), "units": parts}
        self.call("catalog", "PUT", f"/requirements/B{self.month.replace('-', '')}-01", self.operator,
                  "requirement batch", json=body)

    def working_day(self, day: date, now: datetime, providers: ProviderServers) -> None:
        index = day.day
        for u in self.units.values():
            diligence = PROFILES[u.profile][1]
            # Cataloguing in the first days: each unit publishes what it is required to (or most of it).
            for serial, code in enumerate(u.codes, start=1):
                if code in u.published or index < serial or self.rng.random() > diligence:
                    continue
                name, share, cycle = RESOURCE_KINDS[(serial - 1) % len(RESOURCE_KINDS)]
                metadata: dict[str, Any] = {"name": f"{u.name.removeprefix('广西壮族自治区')}{name}",
                                            "share_type": share, "update_cycle": cycle, "domain": "综合政务",
                                            "summary": f"{u.name}{name}", "share_method": "共享交换平台",
                                            "items": [{"name": "统一社会信用代码", "type": "string", "length": 18},
                                                      {"name": "名称", "type": "string", "length": 200}]}
                if share == "conditional":
                    metadata["share_condition"] = "仅用于政务服务事项办理和监管执法"
                if share == "not_shared":
                    metadata["share_basis"] = "《中华人民共和国个人信息保护相关规定》"
                if serial == 2:
                    metadata["classification"] = "监管数据/行政处罚"
                r = self.call("catalog", "POST", "/resources", self.dept(u.uscc), "resource catalogued",
                              json={"provider": u.uscc, "resource_code": code, "metadata": metadata})
                if r.status_code == 201 and self.call("catalog", "POST", f"/resources/{code}/publish",
                                                      self.dept(u.uscc), "resource published").status_code == 200:
                    u.published.append(code)
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
                # The exchange learns of the resource from the catalog's events, a moment after publishing.
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
            approve = self.rng.random() < 0.85
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
                speed = PROFILES[provider.profile][2]
                decide_on = None if speed is None or self.rng.random() < 0.1 else add_working_days(
                    day, 1 + self.rng.randint(*speed))
                self.to_review.append(body["id"])
                self.open.append(Open(body["id"], requester.uscc, provider.uscc, code, decide_on))
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
    def claim_and_import(self, at: datetime) -> None:
        from elicense.domain import license_types
        from elicense.stock_gen import lines

        types = list(license_types.load().values())
        for u in self.units.values():
            sector = next((sec for mark, sec in ISSUERS.items() if mark in u.name), None)
            if u.kind != "department" or sector is None:
                continue
            mine = [t for t in types if t.sector == sector]
            u.license_types = [t.code for t in mine[: self.rng.randint(1, min(3, len(mine)))]]
            declared = {code: self.rng.randint(10, 30) for code in u.license_types}
            undeclared = u.profile == "lagging" and self.rng.random() < 0.5
            self.call("elicense", "PUT", f"/claims/{u.uscc}", self.dept(u.uscc), "license types claimed",
                      json={"license_types": u.license_types, "stock": None if undeclared else declared})
            share, file_share, _, _ = LICENSING[u.profile]
            chosen = [t for t in mine if t.code in u.license_types]
            if u.profile == "lagging":
                chosen = chosen[:1]  # some claimed types never get any data
            n = round(sum(declared[t.code] for t in chosen) * share)
            if n == 0:
                continue
            body = b"\n".join(lines(u.uscc, chosen, n, seed=self.rng.randint(0, 10**6),
                                    authority=u.name)) + b"\n"
            r = self.call("elicense", "POST", "/licenses/import",
                          self.operator | {"Content-Type": "application/x-ndjson"}, "licenses imported (requests)",
                          params={"issuer": u.uscc}, content=body)
            if r.status_code == 200:
                self.counts["stock licenses imported"] = self.counts.get("stock licenses imported", 0) \
                    + r.json()["accepted"]
                u.to_file = [f"STK-{u.uscc[8:17]}-{i:08d}" for i in range(round(n * file_share))]

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
        import base64

        from elicense.domain.holders import citizen_id_check_char
        from elicense.domain.license_types import load

        types = load()
        issuers = [u for u in self.units.values() if u.license_types]
        for u in issuers:
            mode, kinds = LICENSING[u.profile][2:]
            # Files for the imported stock, a few each working day.
            batch, u.to_file = u.to_file[:5], u.to_file[5:]
            for license_id in batch:
                kind = "ofd" if u.profile != "lagging" else "unsealed"
                made = self.license_file(kind, license_id)
                assert made is not None
                self.call("elicense", "PUT", f"/licenses/{license_id}/file",
                          self.dept(u.uscc) | {"Content-Type": made[1]}, "license file attached",
                          content=made[0], params={"mode": mode})
            # New licenses issued today.
            for _ in range(self.rng.randint(1, 3)):
                self.pushed += 1
                code = self.rng.choice(u.license_types)
                person = types[code].holder_kind == "person"
                p = self.pushed
                if person:
                    first17 = f"450103{date(1960 + p % 40, 1 + p % 12, 1 + p % 28):%Y%m%d}{p % 1000:03d}"
                    holder = first17 + citizen_id_check_char(first17)
                else:
                    holder = make_uscc("450100", f"MA{p:06d}")
                license_id = f"INC-{u.uscc[8:17]}-{day:%m%d}-{self.pushed:05d}"
                body: dict[str, Any] = {"mode": mode, "license": {
                    "license_id": license_id, "license_type": code, "number": f"{code[-3:]}{self.pushed:09d}",
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

    def findings(self, last: date) -> None:
        at = datetime.combine(last - timedelta(days=3), datetime.min.time(), tzinfo=SH) + timedelta(hours=15)
        n = 0
        for u in self.units.values():
            picks: list[dict[str, Any]] = []
            if u.profile == "lagging":
                picks += [{"item": i, "effect": "holds"} for i in self.rng.sample(LAGGING_FLAGS, 10)]
                picks += [{"item": "C2.4", "effect": "occurrence", "count": self.rng.randint(3, 8)},
                          {"item": "C2.2", "effect": "occurrence", "count": self.rng.randint(2, 6)},
                          {"item": "A3.6", "effect": "rate", "numerator": 2, "denominator": 10}]
            elif u.profile == "ordinary":
                picks += [{"item": i, "effect": "holds"}
                          for i in self.rng.sample(ORDINARY_FLAGS, self.rng.randint(4, 10))]
                picks += [{"item": "A3.6", "effect": "rate", "numerator": self.rng.randint(4, 10), "denominator": 10},
                          {"item": "C2.2", "effect": "occurrence", "count": self.rng.randint(1, 6)},
                          {"item": "C2.4", "effect": "occurrence", "count": self.rng.randint(0, 4) or 1}]
            else:
                picks += [{"item": i, "effect": "achieved"} for i in self.rng.sample(ACHIEVEMENTS, 2)]
            for pick in picks:
                n += 1
                body = {"finding_id": f"demo-{self.month}-{n}", "unit": u.uscc, "occurred_at": at.isoformat(),
                        "note": "督查发现", **pick}
                self.call("scoring", "POST", "/findings", self.inspector, "finding recorded", ok=(202, 409), json=body)

    def month_end(self, last: date) -> None:
        """One fact just after the month ends moves the watermark past it: August is then final."""
        after = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=SH) + timedelta(hours=9)
        self.set_clock(after)
        unit = next(u for u in self.units.values() if u.mounted)
        code = next(iter(unit.mounted))
        self.call("catalog", "POST", f"/resources/{code}/updates", self.dept(unit.uscc), "data updated",
                  json={"records": 1})

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

    def _drained(self) -> bool:
        # Every service's outbox is empty once /health/ready says so is not exposed; a stable board will do.
        r1 = self.http["scoring"].get("/scores", params={"month": self.month}, headers=self.operator).json()
        time.sleep(1.5)
        r2 = self.http["scoring"].get("/scores", params={"month": self.month}, headers=self.operator).json()
        return bool(r1 == r2)


def run_demo(*, ports: dict[str, int], month: str = "2019-08", seed: int = 7, console: Console,
             day_seconds: float = 0.0, provider_port: int | None = None) -> dict[str, Any]:
    """`provider_port`: where the demo's provider systems listen; the hub's egress policy must allow
    127.0.0.1 on that port (`hub up --demo` arranges it), as it refuses loopback otherwise."""
    demo = Demo(ports, month, seed, console, day_seconds, provider_port)
    started = time.monotonic()
    demo.run()
    with console.status("waiting for the scores to settle…"):
        board = demo.wait_for_scores()
    units = board.get("units", [])
    table = Table(title=f"{month}: {len(units)} units scored in {time.monotonic() - started:.0f} s")
    for col in ("rank", "unit", "total", "band", "list"):
        table.add_column(col)
    for u in units[:5] + units[-5:]:
        table.add_row(str(u["rank"]), u.get("name") or u["unit"], u["total"], u["band"], u["list"])
    console.print(table)
    lists = {k: sum(u["list"] == k for u in units) for k in ("red", "black")}
    console.print(f"red list: {lists['red']}, black list: {lists['black']}; "
                  f"API calls: {sum(v for k, v in demo.counts.items() if not k.endswith('refused'))}")
    refused = {k: v for k, v in demo.counts.items() if k.endswith("refused")}
    if refused:
        console.print(f"refused by the services (expected for late or invalid steps): {refused}")
    return board
