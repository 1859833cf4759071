"""The exchange's part of the demo: access requests reviewed, decided (some late, by lagging providers)
and replied to, gateway calls against the providers' local servers, data uses, and quality disputes that
providers answer (correcting the data when it was wrong) or, if lagging, leave to go overdue."""

from __future__ import annotations

from datetime import date, datetime

from contracts.workdays import add_working_days

from .cast import PROFILES, Open
from .client import DemoBase
from .progress import SH


class ExchangeActs(DemoBase):
    def survey_requests(self) -> None:
        """What an earlier run left of the requests between the demo's units: subscriptions, open
        requests (with the day their provider will decide), decisions waiting for the bureau's reply."""
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
        for d in self.read("exchange", "/disputes", self.operator, status="open").json():
            if d["provider"] in self.units:
                raised = datetime.fromisoformat(d["raised_at"]).astimezone(SH).date()
                self.disputes.append((d["id"], d["provider"], self.answer_on(d["id"], d["provider"], raised)))

    def decide_on(self, request_id: str, provider: str, submitted: date) -> date | None:
        """When the provider decides (None: never, it lets the request go overdue)."""
        rng = self.rng_for("decision", request_id)
        speed = PROFILES[self.units[provider].profile][2]
        if speed is None or rng.random() < 0.1:
            return None
        return add_working_days(submitted, 1 + rng.randint(*speed))

    def answer_on(self, dispute_id: str, provider: str, raised: date) -> date | None:
        """When the provider answers a dispute (None: never, a lagging provider lets it go overdue)."""
        if PROFILES[self.units[provider].profile][2] is None:
            return None
        return add_working_days(raised, self.rng_for("dispute answer", dispute_id).randint(1, 2))

    def exchange_day(self, day: date) -> None:
        self.review_and_reply()
        self.decide_due(day)
        self.new_requests(day)
        self.use_data()
        self.quality_checks(day)

    def quality_checks(self, day: date) -> None:
        """Now and then a subscriber finds something wrong in the data it receives and reports it with the
        records concerned; providers answer what is due, correcting the data when the report is right."""
        for item in [d for d in self.disputes if d[2] is not None and d[2] <= day]:
            dispute_id, provider, _ = item
            upheld = self.rng_for("dispute upheld", dispute_id).random() < 0.6
            body = {"upheld": upheld, "answer": "经核实，数据有误" if upheld else "经核实，数据无误",
                    "correction": f"已于 {day.isoformat()} 更正并更新资源数据" if upheld else None}
            self.call("exchange", "POST", f"/disputes/{dispute_id}/answer", self.dept(provider), "dispute answered",
                      ok=(200, 409), json=body)
            self.disputes.remove(item)
        rng = self.rng_for("dispute", day)
        if not self.subscriptions or rng.random() >= 0.3:
            return
        consumer, code = rng.choice(sorted(self.subscriptions))
        r = self.call("exchange", "POST", "/disputes", self.dept(consumer), "dispute raised", ok=(201, 403),
                      json={"resource_code": code, "description": rng.choice(["信息项缺失", "数据与实际不一致"]),
                            "records": [f"REC-{rng.randint(1, 99_999):05d}"]})
        if r.status_code == 201:
            found = r.json()
            self.disputes.append((found["id"], found["provider"], self.answer_on(found["id"], found["provider"], day)))

    def review_and_reply(self) -> None:
        """The bureau reviews yesterday's submissions and replies to decided requests."""
        for request_id in self.to_review:
            self.call("exchange", "POST", f"/requests/{request_id}/review", self.operator, "request reviewed",
                      json={"passed": True})
        self.to_review = []
        for request_id in self.to_reply:
            r = self.call("exchange", "POST", f"/requests/{request_id}/reply", self.operator, "reply pushed")
            if r.status_code == 200 and r.json()["status"] == "active":
                self.subscriptions.append((r.json()["requester"], r.json()["resource_code"]))
        self.to_reply = []

    def decide_due(self, day: date) -> None:
        """Providers decide what is due today (lagging units leave theirs to go overdue)."""
        for item in [o for o in self.open if o.decide_on and o.decide_on <= day]:
            approve = self.rng_for("approve", item.request_id).random() < 0.85
            body = {"approve": approve, "reason": None if approve else "申请用途超出共享条件范围"}
            self.call("exchange", "POST", f"/requests/{item.request_id}/decision", self.dept(item.provider),
                      "request decided", json=body)
            self.open.remove(item)
            self.to_reply.append(item.request_id)

    def new_requests(self, day: date) -> None:
        """New requests from departments that need others' data."""
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

    def use_data(self) -> None:
        """Gateway calls by subscribers of API resources (failures are the providers' systems failing),
        then a few recorded data uses."""
        api = [(c, code) for c, code in self.subscriptions if code[-6:] == "000001"]
        for _ in range(min(40, len(api) * 3)):
            consumer, code = self.rng.choice(api)
            self.call("exchange", "GET", f"/gateway/{code}/query", self.dept(consumer), "gateway call",
                      ok=(200, 502, 504), params={"id": self.rng.randint(1, 10_000)})
        for consumer, code in self.rng.sample(self.subscriptions, min(3, len(self.subscriptions))):
            purpose = self.rng.choice(["general", "high_frequency", "business_environment"])
            self.call("exchange", "POST", "/data-uses", self.dept(consumer), "data used",
                      json={"resource_code": code, "purpose": purpose, "note": "免交营业执照复印件"})
