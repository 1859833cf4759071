"""The submissions part of the demo: what units send the bureau under the rules' submission requirements
(GET /requirements): survey forms and plans, and a progress report by the 5th of every month.

In the hub's first month the bureau enters what diligent units had sent it on paper before the hub
existed (with the day it came), so only the units that really never sent them carry the flags. Every
working day up to the 5th, units send the month's reports (how reliably depends on their profile), and
the next day an inspector accepts them or returns one now and then with a reason.
"""

from __future__ import annotations

import base64
import time
from datetime import date, datetime, timedelta
from typing import Any

from .cast import Unit
from .client import DemoBase
from .progress import SH

# How likely a unit of each profile sent each one-off document, and sends each monthly report on time.
DILIGENCE = {"exemplary": (1.0, 1.0), "ordinary": (0.85, 0.8), "lagging": (0.2, 0.25)}
RETURN_SHARE = 0.08  # reports an inspector returns for a missing part
REPORT_DAYS = 5  # "每月5日前"


class SubmissionActs(DemoBase):
    requirements: list[dict[str, Any]]
    to_accept: list[tuple[str, str]]  # (unit, submission id) awaiting review

    def load_requirements(self) -> None:
        self.requirements = self.read("scoring", "/requirements", self.operator).json()
        self.to_accept = []

    def asked_of(self, u: Unit) -> list[dict[str, Any]]:
        """The requirements a unit is bound by: its kind, and not an indicator it declared absent."""
        row = next((r for r in self.directory if r["uscc"] == u.uscc), {})
        absent = {a for a in (row.get("absent_indicators") or "").split(";") if a}
        return [r for r in self.requirements if u.kind in r["applies_to"] and r["item"].split(".")[0] not in absent]

    def document(self, u: Unit, title: str) -> str:
        from elicense.samples import sample_pdf

        return base64.b64encode(sample_pdf([u.name, title])).decode()

    def enter_paper_submissions(self) -> None:
        """The hub's first month: what units had sent the bureau before it, entered with the day it came."""
        month_start = date.fromisoformat(f"{self.month}-01")
        for u in self.units.values():
            sent = DILIGENCE[u.profile][0]
            for req in self.asked_of(u):
                rng = self.rng_for("paper", u.uscc, req["kind"])
                if req["due"] == "once":
                    due, period = date.fromisoformat(req["deadline"]), "once"
                else:  # the last report due before the hub's first month
                    last = month_start - timedelta(days=1)
                    due, period = date(last.year, last.month, req["day"]), f"{last:%Y-%m}"
                    if period < req["from"]:
                        continue
                if rng.random() > sent:
                    continue
                came = datetime.combine(due - timedelta(days=rng.randint(1, 20)), datetime.min.time(), tzinfo=SH)
                self.send(u, req, period, self.operator, received_at=came + timedelta(hours=10))

    def send(self, u: Unit, req: dict[str, Any], period: str, headers: dict[str, str],
             received_at: datetime | None = None) -> None:
        body: dict[str, Any] = {"kind": req["kind"], "period": period, "file_name": f"{req['kind']}-{period}.pdf",
                                "file_base64": self.document(u, req["title_zh"])}
        if received_at is not None:
            body["received_at"] = received_at.isoformat()
        for _ in range(120):  # scoring learns of a unit a moment after the catalog registered it
            r = self.call("scoring", "POST", f"/submissions/{u.uscc}", headers, "document submitted", ok=(201,),
                          json=body)
            if r.status_code != 422 or "not a registered" not in r.text:
                break
            time.sleep(0.5)
        if r.status_code == 201:
            self.to_accept.append((u.uscc, r.json()["submission_id"]))

    def submissions_day(self, day: date) -> None:
        """Inspectors review what came in; up to the 5th, units send this month's progress reports."""
        for unit, submission_id in self.to_accept:
            rng = self.rng_for("review", unit, day, len(self.to_accept))
            if rng.random() < RETURN_SHARE:
                self.call("scoring", "POST", f"/submissions/{unit}/{submission_id}/return", self.inspector,
                          "document returned", json={"reason": "缺少本月进度说明和下月计划，请补充后重新报送"})
            else:
                self.call("scoring", "POST", f"/submissions/{unit}/{submission_id}/accept", self.inspector,
                          "document accepted")
        self.to_accept = []
        if day.day > REPORT_DAYS:
            return
        for u in self.units.values():
            on_time = DILIGENCE[u.profile][1]
            for req in self.asked_of(u):
                if req["due"] != "monthly" or self.month < req["from"]:
                    continue
                rng = self.rng_for("report", u.uscc, req["kind"], self.month)
                # Each unit picks the day it reports (or that it forgets this month) once a month.
                if rng.random() <= on_time and day.day == rng.randint(1, REPORT_DAYS):
                    self.send(u, req, self.month, self.dept(u.uscc))
