"""The province the load test plays on, built through the public APIs as its units would build it: the 14
cities of Guangxi with eight departments each (112 units), each publishing an API resource (catalogued,
submitted, approved by the bureau, mounted on a provider system, its endpoint registered with the exchange),
each subscribing to three other units' resources, and in each city the market regulator issuing business
licenses that the city's other departments may use at their windows.

What the Locust users need (tokens, paths, holder ids) is written as a plan file that the locustfile reads:
the load tool runs in a virtual environment of its own and imports nothing of the hub.
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from contracts.uscc import make_uscc
from hubkit.auth import mint_token
from hubkit.settings import DEV_SECRET

CITIES = [("450100", "南宁市"), ("450200", "柳州市"), ("450300", "桂林市"), ("450400", "梧州市"), ("450500", "北海市"),
          ("450600", "防城港市"), ("450700", "钦州市"), ("450800", "贵港市"), ("450900", "玉林市"),
          ("451000", "百色市"), ("451100", "贺州市"), ("451200", "河池市"), ("451300", "来宾市"), ("451400", "崇左市")]
DEPARTMENTS = ["市场监督管理局", "公安局", "人力资源和社会保障局", "自然资源局", "住房和城乡建设局", "卫生健康委员会",
               "民政局", "交通运输局"]
BUSINESS = "11100000MB0143028R001"  # 营业执照 (the reference list's business license)
SUBSCRIPTIONS_PER_UNIT = 3


def bearer(role: str, unit: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(DEV_SECRET, role=role, unit=unit, ttl_seconds=6 * 3600)}"}


@dataclass
class Unit:
    uscc: str
    name: str
    division: str
    issuer: bool  # the city's market regulator issues business licenses
    code: str = ""
    subscriptions: list[str] = field(default_factory=list)


class Province:
    def __init__(self, ports: dict[str, int], provider_port: int, at: str, seed: int = 2019) -> None:
        self.http = {name: httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60, trust_env=False)
                     for name, port in ports.items()}
        self.provider = f"http://127.0.0.1:{provider_port}"
        self.at, self.rng = at, random.Random(seed)
        self.operator = bearer("operator")
        self.units = [Unit(make_uscc(div, hashlib.sha256(f"{seed}/{div}/{d}".encode()).hexdigest()[:8].upper()),
                           f"{city}{dept}", div, d == 0)
                      for div, city in CITIES for d, dept in enumerate(DEPARTMENTS)]

    def call(self, service: str, method: str, path: str, headers: dict[str, str], ok: tuple[int, ...] = (200, 201),
             **options: Any) -> httpx.Response:
        """One call; a 404 from the exchange (it has not heard the catalog's event yet) is tried again briefly."""
        for _ in range(300):
            r = self.http[service].request(method, path, headers=headers, **options)
            if r.status_code in ok or not (service == "exchange" and r.status_code == 404):
                break
            time.sleep(0.1)
        if r.status_code not in ok:
            raise RuntimeError(f"{method} {service} {path}: {r.status_code} {r.text[:300]}")
        return r

    def build(self) -> None:
        for u in self.units:
            self.call("catalog", "PUT", f"/units/{u.uscc}", self.operator, json={
                "uscc": u.uscc, "name": u.name, "kind": "department", "division_code": u.division,
                "occurred_at": self.at})
        for u in self.units:
            self.catalogue(u)
        for u in self.units:
            self.call("exchange", "PUT", f"/endpoints/{u.code}", bearer("department", u.uscc),
                      json={"base_url": f"{self.provider}/u/{u.uscc}"})
        for u in self.units:
            others = [o for o in self.units if o is not u]
            for other in self.rng.sample(others, SUBSCRIPTIONS_PER_UNIT):
                r = self.call("exchange", "POST", "/requests", bearer("department", u.uscc),
                              json={"resource_code": other.code, "purpose": "政务服务事项办理核验"})
                if r.json()["status"] != "active":
                    raise RuntimeError(f"an unconditional share was not granted at once: {r.text[:300]}")
                u.subscriptions.append(other.code)
        for issuer in (u for u in self.units if u.issuer):
            mine = bearer("department", issuer.uscc)
            self.call("elicense", "PUT", f"/claims/{issuer.uscc}", mine,
                      json={"license_types": [BUSINESS], "stock": {BUSINESS: 100_000}})
            for window in (u for u in self.units if u.division == issuer.division and not u.issuer):
                self.call("elicense", "PUT", f"/use-authorisations/{issuer.uscc}/{window.uscc}", mine,
                          json={"license_types": [BUSINESS]})

    def catalogue(self, u: Unit) -> None:
        dept = bearer("department", u.uscc)
        metadata = {"name": f"{u.name}企业登记信息核验接口", "share_type": "unconditional", "update_cycle": "daily",
                    "domain": "市场监管", "summary": f"{u.name}提供的企业登记信息核验", "share_method": "共享交换平台",
                    "items": [{"name": "统一社会信用代码", "type": "string", "length": 18, "key": True},
                              {"name": "名称", "type": "string", "length": 200, "required": True}]}
        u.code = self.call("catalog", "POST", "/resources", dept,
                           json={"provider": u.uscc, "metadata": metadata}).json()["code"]
        self.call("catalog", "POST", f"/resources/{u.code}/submit", dept)
        self.call("catalog", "POST", f"/resources/{u.code}/review", self.operator,
                  json={"decision": "approve", "notice_days": 0})
        self.call("catalog", "PUT", f"/resources/{u.code}/mount", dept,
                  json={"kind": "api", "url": f"{self.provider}/u/{u.uscc}", "method": "GET"})

    def plan(self, holders: int = 2000) -> dict[str, Any]:
        """What the Locust users do, with whose token."""
        by_code = {u.code: u for u in self.units}
        return {
            "exchange": str(self.http["exchange"].base_url), "catalog": str(self.http["catalog"].base_url),
            "elicense": str(self.http["elicense"].base_url),
            "calls": [{"path": f"/gateway/{code}/query", "headers": bearer("department", u.uscc)}
                      for u in self.units for code in u.subscriptions],
            "requests": [{"headers": bearer("department", u.uscc),
                          "codes": [c for c in by_code if c != u.code and c not in u.subscriptions]}
                         for u in self.units],
            "searches": [{"headers": bearer("department", u.uscc), "q": u.name[:2]} for u in self.units],
            "issuers": [{"headers": bearer("department", i.uscc), "uscc": i.uscc,
                         "windows": [bearer("department", w.uscc) for w in self.units
                                     if w.division == i.division and not w.issuer]}
                        for i in self.units if i.issuer],
            "holders": [make_uscc(self.rng.choice(CITIES)[0], f"{n:08X}") for n in range(holders)],
            "license_type": BUSINESS,
        }

    def close(self) -> None:
        for client in self.http.values():
            client.close()
