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

import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from contracts.workdays import is_working_day
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .acts_catalog import CatalogActs
from .acts_exchange import ExchangeActs
from .acts_gathering import GatheringActs
from .acts_inventory import InventoryActs
from .acts_licenses import LicenseActs
from .acts_submissions import SubmissionActs
from .cast import ACHIEVEMENTS, LAGGING_FLAGS, ORDINARY_FLAGS, PROFILES, DemoFailed
from .progress import SH, days_of
from .providers import ProviderServers

__all__ = ["Demo", "DemoFailed"]


class Demo(CatalogActs, GatheringActs, ExchangeActs, LicenseActs, SubmissionActs, InventoryActs):
    """The month, day by day: each context's acts live in its own module (acts_*.py)."""

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
            self.load_requirements()
            if not self.progress.setup_done:
                self.register_units(start)
                self.assign_requirements(start + timedelta(hours=9))
                if len(self.progress.months) == 1:  # the stock is imported once, in the hub's first month
                    self.claim_and_import(start + timedelta(hours=10))
                    self.enter_paper_submissions()
                    self.declare_inventories()
                self.remember(setup_done=True)
            progress.advance(setup)
            self.prepare_licensing()
            if self.progress.months.index(self.month) > 0:
                self.late_finding()
            progress.advance(setup)
            failure = {u: PROFILES[x.profile][3] for u, x in self.units.items()}
            with ProviderServers(failure, self.seed, self.provider_port) as providers:
                month_task = progress.add_task(f"simulating {self.month}{self.label}", total=len(days))
                for day in days:
                    morning = datetime.combine(day, datetime.min.time(), tzinfo=SH) + timedelta(hours=9)
                    # Marked before its first call: a day a run was killed in is never played again.
                    self.remember(last_day=day.isoformat(),
                                  working_days=self.progress.working_days + is_working_day(day))
                    self.set_clock(morning)
                    if is_working_day(day):
                        self.rng = self.rng_for(day)
                        self.working_day(day, morning, providers)
                    else:
                        self.weekend_feeds(day)
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

    def survey(self) -> None:
        """Read through the APIs what an earlier run left: resources, drafts, mounts, claims, requests."""
        for u in self.units.values():
            self.survey_resources(u)
            self.survey_claims(u)
        self.survey_requests()
        held = sum(len(u.published) for u in self.units.values())
        if held:
            self.console.print(f"the hub holds {held} published resources, {len(self.subscriptions)} "
                               f"subscriptions and {len(self.open)} open requests of the demo's units")

    def working_day(self, day: date, now: datetime, providers: ProviderServers) -> None:
        for u in self.units.values():
            self.catalog_day(u, day, providers)
        self.gather_day(day)
        self.exchange_day(day)
        self.license_day(day)
        self.submissions_day(day)
        self.inventory_day(day)

    # ── the month's end ───────────────────────────────────────────────────────────────────
    def findings(self, last: date) -> None:
        at = datetime.combine(last - timedelta(days=3), datetime.min.time(), tzinfo=SH) + timedelta(hours=15)
        rng = self.rng_for("findings", self.month)
        n = 0
        contested: dict[str, tuple[str, str]] = {}  # profile -> (unit, its first finding this month)
        for u in self.units.values():
            picks: list[dict[str, Any]] = []
            if u.profile == "lagging":
                picks += [{"item": i, "effect": "holds"} for i in rng.sample(LAGGING_FLAGS, 10)]
                picks += [{"item": "C2.4", "effect": "occurrence", "count": rng.randint(3, 8)},
                          {"item": "C2.2", "effect": "occurrence", "count": rng.randint(2, 6)}]
            elif u.profile == "ordinary":
                picks += [{"item": i, "effect": "holds"}
                          for i in rng.sample(ORDINARY_FLAGS, rng.randint(4, 10))]
                picks += [{"item": "C2.2", "effect": "occurrence", "count": rng.randint(1, 6)},
                          {"item": "C2.4", "effect": "occurrence", "count": rng.randint(0, 4) or 1}]
            else:
                picks += [{"item": i, "effect": "achieved"} for i in rng.sample(ACHIEVEMENTS, 2)]
            first = n + 1
            for pick in picks:
                n += 1
                body = {"finding_id": f"demo-{self.month}-{n}", "unit": u.uscc, "occurred_at": at.isoformat(),
                        "note": "督查发现", **pick}
                self.call("scoring", "POST", "/findings", self.inspector, "finding recorded", ok=(202, 409), json=body)
            if picks and u.profile != "exemplary":
                contested.setdefault(u.profile, (u.uscc, f"demo-{self.month}-{first}"))
        self.contest(contested)

    def late_finding(self) -> None:
        """An inspector reports, early in the month, what a visit found at the end of the month before: that
        month is closed, so its sealed scores stay and the finding is its adjustment (the console shows both).
        It goes to a weak unit whose C2 (data use) points are not at their cap yet, so it moves a score."""
        previous = self.progress.months[self.progress.months.index(self.month) - 1]
        weak = sorted(u for u, x in self.units.items() if x.profile == "lagging") or sorted(self.units)
        weak += sorted(u for u in self.units if u not in weak)
        unit = next((u for u in weak if self._below_cap(u, previous, "C2")), weak[0])
        when = datetime.combine(days_of(previous)[-1], datetime.min.time(), tzinfo=SH) + timedelta(hours=16)
        body = {"finding_id": f"demo-{previous}-late", "unit": unit, "item": "C2.4", "effect": "occurrence",
                "count": 1, "occurred_at": when.isoformat(), "note": "补充督查发现（上月末走访）"}
        self.call("scoring", "POST", "/findings", self.inspector, "late finding recorded", ok=(202, 409), json=body)

    def _below_cap(self, unit: str, month: str, indicator: str) -> bool:
        r = self.http["scoring"].get(f"/scores/{unit}", params={"month": month}, headers=self.operator)
        if r.status_code != 200:
            return False
        found = next((i for i in r.json()["indicators"] if i["indicator"] == indicator), None)
        return found is None or Decimal(found["points"]) < Decimal(found["cap"])

    def contest(self, contested: dict[str, tuple[str, str]]) -> None:
        """Findings have a life after they are recorded: an inspector withdraws one of a lagging unit's on
        review, and an ordinary unit appeals one of its own, which the bureau upholds."""
        if "lagging" in contested:
            _, finding_id = contested["lagging"]
            self.call("scoring", "POST", f"/findings/{finding_id}/retract", self.inspector, "finding withdrawn",
                      ok=(200, 409), json={"reason": "复核后认定检查记录有误"})
        if "ordinary" in contested:
            unit, finding_id = contested["ordinary"]
            r = self.call("scoring", "POST", f"/findings/{finding_id}/appeal", self.dept(unit), "finding appealed",
                          ok=(201, 409), json={"reason": "相关工作已于检查前完成，附整改说明"})
            if r.status_code == 201:
                self.call("scoring", "POST", f"/appeals/{r.json()['appeal_id']}/decision", self.operator,
                          "appeal decided", json={"upheld": True, "reason": "整改材料属实"})
