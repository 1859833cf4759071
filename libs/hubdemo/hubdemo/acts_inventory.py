"""The inventory part of the demo: each unit keeps its system inventory (信息系统清单) in the hub, and the
hub computes A1.4, A1.7, A2.6 and A3.5-A3.7 from it (PUT /inventory/{unit}/{entry}).

In the hub's first month every unit declares its private networks and information systems with the
progress it had made. Each working day inspectors review the claims that came in: most are verified,
a few rejected with a reason, and some left unverified (they stop counting after the grace period).
In the middle of every month units report progress on a few systems. How far each unit got depends
on its profile.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from .cast import Unit
from .client import DemoBase

# Per profile: networks, self-built systems, national vertical systems (ranges); share of the work done
# when first declared; share of claims verified, rejected (the rest are left unverified).
PLANS = {
    "exemplary": ((0, 1), (3, 6), (0, 2), 1.0, (0.95, 0.0)),
    "ordinary": ((0, 2), (3, 6), (0, 2), 0.7, (0.7, 0.05)),
    "lagging": ((1, 2), (2, 5), (0, 1), 0.25, (0.3, 0.25)),
}
SYSTEM_NAMES = ["行政审批系统", "综合业务管理系统", "数据共享平台", "监管执法系统", "办公自动化系统", "档案管理系统"]
PROGRESS_DAY = 15  # mid-month progress reports


class InventoryActs(DemoBase):
    to_verify: list[tuple[str, str]]  # (unit, claim id) awaiting review

    def absent_of(self, u: Unit) -> set[str]:
        row = next((r for r in self.directory if r["uscc"] == u.uscc), {})
        return {a for a in (row.get("absent_indicators") or "").split(";") if a}

    def declare_inventories(self) -> None:
        """The hub's first month: every unit lists what it runs and how far each migration has come."""
        self.to_verify = []
        for u in self.units.values():
            rng = self.rng_for("inventory", u.uscc)
            nets, own, vertical, done, _ = PLANS[u.profile]
            absent = self.absent_of(u)
            entries: list[tuple[str, dict[str, Any]]] = []
            if "A1" not in absent:
                entries += [(f"net-{i}", self._network(i, rng.random() < done)) for i in range(rng.randint(*nets))]
            if "A2" not in absent or "A3" not in absent:
                entries += [(f"sys-{i}", self._system(i, "self-built", rng.randint(0, 40), done, rng.random()))
                            for i in range(rng.randint(*own))]
                entries += [(f"nv-{i}", self._system(i, "national-vertical", rng.randint(5, 60), done, rng.random()))
                            for i in range(rng.randint(*vertical))]
            for entry_id, body in entries:
                self.claim(u, entry_id, body)

    def _network(self, i: int, connected: bool) -> dict[str, Any]:
        return {"kind": "private-network", "name": f"业务专网{i + 1}", "connected": connected,
                "decommissioned": False, "evidence": "业务专网迁移计划及联通测试报告"}

    def _system(self, i: int, origin: str, items: int, done: float, draw: float) -> dict[str, Any]:
        docked = round(items * min(1.0, done + draw * 0.2)) if draw < done + 0.2 else round(items * draw * done)
        name = SYSTEM_NAMES[i % len(SYSTEM_NAMES)] + ("（国垂）" if origin == "national-vertical" else "")
        return {"kind": "information-system", "name": name, "origin": origin, "service_items": items,
                "on_cloud": origin == "self-built" and draw < done, "docked_items": min(docked, items),
                "form_items": min(docked, items), "evidence": "系统迁移上云验收单及对接联调记录"}

    def claim(self, u: Unit, entry_id: str, body: dict[str, Any]) -> None:
        r = self.call("scoring", "PUT", f"/inventory/{u.uscc}/{entry_id}", self.dept(u.uscc), "inventory claimed",
                      ok=(201,), json=body)
        if r.status_code == 201:
            self.to_verify.append((u.uscc, r.json()["claim_id"]))

    def inventory_day(self, day: date) -> None:
        """Inspectors review yesterday's claims; mid-month, units report progress."""
        for unit, claim_id in getattr(self, "to_verify", []):
            verified, rejected = PLANS[self.units[unit].profile][4]
            draw = self.rng_for("verify", claim_id).random()
            if draw < verified:
                self.call("scoring", "POST", f"/inventory/{unit}/claims/{claim_id}/verify", self.inspector,
                          "inventory claim verified")
            elif draw < verified + rejected:
                self.call("scoring", "POST", f"/inventory/{unit}/claims/{claim_id}/reject", self.inspector,
                          "inventory claim rejected", json={"reason": "现场核查未见迁移上云验收材料"})
        self.to_verify = []
        if day.day == PROGRESS_DAY or (day.day in (PROGRESS_DAY + 1, PROGRESS_DAY + 2) and not self._reported):
            self._report_progress()

    @property
    def _reported(self) -> bool:
        return getattr(self, "_progress_month", None) == self.month

    def _report_progress(self) -> None:
        """Units move a few of their systems on: onto the cloud, more service items docked."""
        self._progress_month = self.month
        for u in self.units.values():
            rng = self.rng_for("progress", u.uscc, self.month)
            if rng.random() > PLANS[u.profile][3] + 0.2:
                continue  # nothing moved this month
            shown = self.read("scoring", f"/inventory/{u.uscc}", self.operator).json()
            for e in shown["entries"]:
                if e["kind"] != "information-system" or rng.random() > 0.4:
                    continue
                body = {k: e[k] for k in ("kind", "name", "origin", "service_items", "decommissioned")}
                items = e["service_items"]
                body.update(on_cloud=e["origin"] == "self-built", docked_items=items, form_items=items,
                            evidence=f"{self.month}迁移上云及对接进度报告")
                self.claim(u, e["entry_id"], body)
