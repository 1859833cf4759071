"""The e-license part of the demo: issuers claim their types and declare their stock, import it, attach
sealed files a few a day, push new licenses every working day, and service windows use them."""

from __future__ import annotations

import base64
from datetime import date, datetime
from typing import Any

from contracts.values import make_uscc

from .cast import FILES_PER_DAY, LICENSING, Stock, Unit, issued_sector
from .client import DemoBase

SLIPS = {"ordinary": 0.05, "lagging": 0.2}  # share of new licenses pushed with the previous one's number
# A type of the province's own (新增证照类型): proposed by the first issuing department, returned once for a
# field that should be required, resubmitted and registered; its licenses carry the fields.
LOCAL_TYPE: dict[str, Any] = {"name": "自治区食品小作坊登记证", "holder_kind": "either", "fields": [
    {"name": "workshop_address", "label": "生产加工场所", "kind": "text", "required": True},
    {"name": "food_category", "label": "食品类别", "kind": "text", "required": True},
    {"name": "registered_on", "label": "登记日期", "kind": "date", "required": False}]}


class LicenseActs(DemoBase):
    to_correct: list[tuple[str, dict[str, Any]]]  # (issuer, the license as it should have been pushed)
    items: dict[str, tuple[str, Unit, str]]  # license type -> (service item, its window, the material it replaces)
    type_of: dict[str, str]  # license id -> type, of the licenses pushed in this run

    def survey_claims(self, u: Unit) -> None:
        """The license types an earlier run claimed for an issuing unit."""
        if issued_sector(u.kind, u.name) is not None:
            claim = self.read("elicense", f"/claims/{u.uscc}", self.operator, ok=(200, 404))
            if claim.status_code == 200:
                u.license_types = [t["code"] for t in claim.json()["license_types"]]

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

    def local_type(self) -> tuple[Unit, str] | None:
        """The province's own type: registered already (an earlier run), or proposed, returned with a reason,
        resubmitted and registered now. (its issuer, its code)"""
        issuer = next((u for u in self.units.values() if issued_sector(u.kind, u.name) is not None
                       and u.profile != "lagging"), None)
        if issuer is None:
            return None
        mine = self.dept(issuer.uscc)
        known = self.read("elicense", "/license-types", mine, q=LOCAL_TYPE["name"], source="registered").json()
        if known:
            return issuer, known[0]["code"]
        body = {**LOCAL_TYPE, "sector": issuer.name, "fields": [
            {**f, "required": False} if f["name"] == "food_category" else f for f in LOCAL_TYPE["fields"]]}
        pending = [p for p in self.read("elicense", "/license-types/proposals", mine).json()
                   if p["name"] == LOCAL_TYPE["name"] and p["status"] != "registered"]
        if pending:
            pid = pending[0]["proposal_id"]
        else:
            pid = self.call("elicense", "POST", "/license-types/proposals", mine, "license types proposed",
                            json=body).json()["proposal_id"]
            pending = [{"status": "proposed"}]
        if pending[0]["status"] == "proposed":
            self.call("elicense", "POST", f"/license-types/proposals/{pid}/return", self.operator,
                      "license-type proposals returned", json={
                          "reason": "食品类别是登记证的必填项", "field_reasons": {"fields.food_category": "应为必填"}})
        self.call("elicense", "PUT", f"/license-types/proposals/{pid}", mine, "license types resubmitted",
                  json={**body, "fields": LOCAL_TYPE["fields"]})
        code = self.call("elicense", "POST", f"/license-types/proposals/{pid}/register", self.operator,
                         "license types registered", json={}).json()["code"]
        return issuer, code

    def claim_and_import(self, at: datetime) -> None:
        from elicense.stock_gen import lines

        local = self.local_type()
        for u in self.units.values():
            stock = self.stock_of(u)
            if stock is None:
                continue
            claimed = [*stock.license_types, local[1]] if local is not None and local[0] is u else stock.license_types
            self.call("elicense", "PUT", f"/claims/{u.uscc}", self.dept(u.uscc), "license types claimed",
                      json={"license_types": claimed, "stock": stock.declared})
            u.license_types = claimed
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

    def list_service_items(self) -> None:
        """The bureau lists the items two windows handle with licenses instead of paper (免证办): business
        start-up takes the organisations' licenses the issuers claimed, the social-security card the persons'."""
        from elicense.domain.license_types import load

        types = load()
        claimed = sorted({code for u in self.units.values() for code in u.license_types if code in types})
        windows = [u for u in self.units.values() if u.kind == "city"] or \
            [u for u in self.units.values() if u.kind != "county"]
        self.items, self.type_of = {}, {}
        if not windows:
            return
        for key, name, codes, window in (
                ("QYKB", "企业开办", [c for c in claimed if types[c].holder_kind != "person"], windows[0]),
                ("SBKSL", "社会保障卡申领", [c for c in claimed if types[c].holder_kind == "person"], windows[-1])):
            if not codes:
                continue
            item = f"{window.uscc[:8]}-{key}"
            accepts = [{"license_type": c, "materials": [f"{types[c].name}复印件"]} for c in codes]
            self.call("elicense", "PUT", f"/service-items/{item}", self.operator, "service items listed",
                      json={"name": name, "handling_unit": window.uscc, "accepts": accepts})
            self.items.update({c: (item, window, f"{types[c].name}复印件") for c in codes})

    def prepare_licensing(self) -> None:
        """Which imported stock still waits for a file: files go out five a working day, in order, from the
        first working day after the import, so the working days begun so far say how many went."""
        self.list_service_items()
        from elicense.stock_gen import stock_number

        sent = FILES_PER_DAY * self.progress.working_days
        for u in self.units.values():
            stock = self.stock_of(u)
            if stock is not None and u.license_types:
                u.to_file = [(f"STK-{u.uscc[8:17]}-{i:08d}", stock_number(u.uscc, stock.imported_types, i))
                             for i in range(sent, stock.files)]

    def license_file(self, kind: str, text: str) -> tuple[bytes, str] | None:
        from elicense.samples import sample_ofd, sample_pdf, signed_pdf

        if kind == "ofd":
            return sample_ofd(text, signed_by=self.seal), "application/ofd"
        if kind == "ses":  # the national way: a GB/T 38540 seal, SM2 with SM3
            return sample_ofd(text, signed_by=self.sm2_seal), "application/ofd"
        if kind == "pdf":
            return signed_pdf(self.seal, [text]), "application/pdf"
        if kind == "unsealed":
            return sample_pdf([text]), "application/pdf"
        return None

    def license_day(self, day: date) -> None:
        from elicense.domain.license_types import load

        corrections, self.to_correct = getattr(self, "to_correct", []), []
        for unit, body in corrections:  # yesterday's slips, pushed again with the right number
            self.call("elicense", "POST", "/licenses", self.dept(unit), "license corrected", ok=(200, 201), json=body)

        types: dict[str, Any] = dict(load())
        issuers = [u for u in self.units.values() if u.license_types]
        for u in issuers:
            mode, kinds = LICENSING[u.profile][2:]
            self.attach_files(u, mode)
            # New licenses issued today; ids and numbers carry the day, so no two runs make the same one.
            for k in range(self.rng.randint(1, 3)):
                self.push_new(u, day, k, mode, kinds, types)
        self.use_licenses(issuers)

    def attach_files(self, u: Unit, mode: str) -> None:
        """Files for the imported stock, a few each working day."""
        batch, u.to_file = u.to_file[:FILES_PER_DAY], u.to_file[FILES_PER_DAY:]
        for license_id, number in batch:
            kind = ("ses" if len(u.to_file) % 2 else "ofd") if u.profile != "lagging" else "unsealed"
            made = self.license_file(kind, f"{license_id} 证照编号 {number}")
            assert made is not None
            self.call("elicense", "PUT", f"/licenses/{license_id}/file",
                      self.dept(u.uscc) | {"Content-Type": made[1]}, "license file attached",
                      content=made[0], params={"mode": mode})

    def push_new(self, u: Unit, day: date, k: int, mode: str, kinds: Any, types: dict[str, Any]) -> None:
        from elicense.domain.holders import citizen_id_check_char

        code = self.rng.choice(u.license_types)
        p = (day.toordinal() * 100 + u.index) * 4 + k
        local = code not in types  # the province's own type (LOCAL_TYPE), held by organisations here
        if not local and types[code].holder_kind == "person":
            first17 = f"450103{date(1960 + p % 40, 1 + p % 12, 1 + p % 28):%Y%m%d}{p % 1000:03d}"
            holder = first17 + citizen_id_check_char(first17)
        else:
            holder = make_uscc("450100", f"MA{p % 10**6:06d}")
        license_id = f"INC-{u.uscc[8:17]}-{day:%Y%m%d}-{k}"
        number = f"{code[-3:]}{day:%y%m%d}{u.index:03d}{k}"
        body: dict[str, Any] = {"mode": mode, "license": {
            "license_id": license_id, "license_type": code, "number": number,
            "holder_name": "示例持证人", "holder_id": holder, "issue_date": day.isoformat(),
            "issuing_authority": u.name}}
        fix: dict[str, Any] | None = None  # the license as it should have been pushed, after a slip
        if local:
            fields = {"workshop_address": f"南宁市青秀区示例路{p % 200 + 1}号", "food_category": "糕点",
                      "registered_on": day.isoformat()}
            body["license"]["fields"] = fields
            if self.rng.random() < 0.3:  # the category left out: abnormal data, pushed again complete tomorrow
                fix = {**body, "license": {**body["license"]}}
                body["license"] = {**body["license"], "fields": {k2: v for k2, v in fields.items()
                                                                 if k2 != "food_category"}}
        elif k and self.rng.random() < SLIPS.get(u.profile, 0.0):
            # A clerk's slip: the number of the license before; the library flags it (abnormal data) and
            # the issuer pushes the license again with its own number on the next working day.
            body["license"] = {**body["license"], "number": number[:-1] + str(k - 1), "license_type": code}
            fix = {**body, "license": {**body["license"], "number": number}}
        # The file shows the license's number: after a slip the file does not match the data either, until
        # the license is pushed again, file and all, with the number its file shows.
        made = self.license_file(self.rng.choice(kinds), f"{license_id} 证照编号 {number}")
        if made is not None:
            body["file_base64"] = base64.b64encode(made[0]).decode()
        if fix is not None:
            self.to_correct.append((u.uscc, {**fix, **({"file_base64": body["file_base64"]}
                                                        if "file_base64" in body else {})}))
        if self.call("elicense", "POST", "/licenses", self.dept(u.uscc), "license pushed",
                     json=body).status_code == 201:
            u.licenses.append(license_id)
            self.type_of[license_id] = code

    def use_licenses(self, issuers: list[Unit]) -> None:
        """Service windows use licenses instead of asking for paper copies."""
        usable = [(u.uscc, lid) for u in issuers for lid in u.licenses]
        windows = [u for u in self.units.values() if u.kind != "county"]
        for issuer, license_id in self.rng.sample(usable, min(12, len(usable))):
            listed = self.items.get(self.type_of.get(license_id, ""))
            # A listed item's window names the item and the material its list says the license replaces;
            # a window not on the list yet says in words what it handled.
            window = listed[1] if listed is not None else self.rng.choice(windows)
            use: dict[str, Any] = {"license_id": license_id, "item_code": listed[0], "materials": [listed[2]]} \
                if listed is not None else {"license_id": license_id, "item": "不动产登记",
                                            "waived_materials": self.rng.randint(1, 3)}
            # A window uses an issuer's licenses once the bureau has authorised it to.
            self.call("elicense", "PUT", f"/use-authorisations/{issuer}/{window.uscc}", self.operator,
                      "use authorised", json={"license_types": None})
            self.call("elicense", "POST", "/uses", self.dept(window.uscc), "license used", json=use)
