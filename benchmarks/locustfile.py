"""The load test's users (Locust; run by benchmarks.load in a virtual environment of its own: this file imports
only Locust and the standard library). The plan file (HUB_LOAD_PLAN) says who may do what with which token.

- a consumer system calls a subscribed provider through the gateway (most of a province's traffic);
- a department searches the catalog, and now and then asks for access to another unit's resource;
- a market regulator pushes a new business license, and one of its city's windows uses it in a service.
A 502 from the gateway is the provider failing (the provider answers 503 now and then on purpose): it is an
expected outcome, recorded and scored, not a failure of the hub.
"""

from __future__ import annotations

import json
import os
import random
import uuid

from locust import FastHttpUser, constant, task

with open(os.environ["HUB_LOAD_PLAN"], encoding="utf-8") as f:
    PLAN = json.load(f)


class GatewayCaller(FastHttpUser):
    host = PLAN["exchange"]
    weight = 16
    wait_time = constant(0)

    @task
    def call(self) -> None:
        one = random.choice(PLAN["calls"])
        with self.client.get(one["path"], headers=one["headers"], name="GET /gateway/{code}/query",
                             catch_response=True) as r:
            if r.status_code in (200, 502):
                r.success()
            else:
                r.failure(f"{r.status_code}")


class Department(FastHttpUser):
    host = PLAN["catalog"]
    weight = 2
    wait_time = constant(0.05)

    @task(20)
    def search(self) -> None:
        one = random.choice(PLAN["searches"])
        self.client.get("/resources", params={"q": one["q"], "status": "published"}, headers=one["headers"],
                        name="GET /resources?q=")

    @task(1)
    def ask_for_access(self) -> None:
        one = random.choice(PLAN["requests"])
        if not one["codes"]:
            return
        body = {"resource_code": random.choice(one["codes"]), "purpose": "负载测试：政务服务事项办理"}
        with self.client.post(f"{PLAN['exchange']}/requests", json=body, headers=one["headers"],
                              name="POST /requests", catch_response=True) as r:
            if r.status_code in (201, 409):  # 409: it holds or asked for it already
                r.success()
            else:
                r.failure(f"{r.status_code}")


class LicenseIssuer(FastHttpUser):
    host = PLAN["elicense"]
    weight = 2
    wait_time = constant(0.05)

    @task
    def push_and_use(self) -> None:
        issuer = random.choice(PLAN["issuers"])
        lid = f"LD-{uuid.uuid4().hex[:16]}"
        license_ = {"license_id": lid, "license_type": PLAN["license_type"], "number": f"N-{lid}",
                    "holder_name": "广西示例商贸有限公司", "holder_id": random.choice(PLAN["holders"]),
                    "issue_date": "2019-08-20", "issuing_authority": "市场监督管理局"}
        with self.client.post("/licenses", json={"license": license_, "mode": "auto_incremental"},
                              headers=issuer["headers"], name="POST /licenses", catch_response=True) as r:
            if r.status_code != 201:
                r.failure(f"{r.status_code}")
                return
        use = {"license_id": lid, "item": "企业开办", "waived_materials": 1, "use_id": f"U-{lid}"}
        with self.client.post("/uses", json=use, headers=random.choice(issuer["windows"]), name="POST /uses",
                              catch_response=True) as r:
            if r.status_code != 201:
                r.failure(f"{r.status_code}")
