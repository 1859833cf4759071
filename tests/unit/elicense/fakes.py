"""In-memory license rows and unit of work: the e-license handlers' port without a database."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime
from typing import Any

from elicense.domain.files import VerifiedFile
from elicense.domain.license_types import LicenseType
from elicense.domain.licenses import CheckedLicense
from elicense.domain.service_items import ServiceItem
from elicense.service.ports import ProposalRow
from hubkit.uow import FakeUnitOfWork


class FakeLicenseRows:
    def __init__(self) -> None:
        self.licenses: dict[str, dict[str, Any]] = {}
        self.files: dict[str, VerifiedFile] = {}
        self.claims: dict[str, dict[str, Any]] = {}
        self.grants: dict[tuple[str, str], list[str] | None] = {}
        self.uses: dict[str, dict[str, Any]] = {}
        self.anomalies: list[dict[str, Any]] = []

    async def get(self, license_id: str, *, lock: bool = False) -> dict[str, Any] | None:
        row = self.licenses.get(license_id)
        if row is None:
            return None
        f = self.files.get(row["file_sha256"] or "")
        return {**row, "file_format": f.format if f else None}

    def _row(self, lic: CheckedLicense, at: datetime, sha: str | None, sealed: bool) -> dict[str, Any]:
        return {"license_id": lic.license_id, "license_type": lic.license_type, "status": lic.status,
                "number": lic.number,
                "valid_until": lic.valid_until, "fingerprint": lic.fingerprint, "file_sha256": sha,
                "sealed": sealed, "updated_at": at, "fields": lic.fields, "type_version": lic.type_version}

    async def insert_one(self, lic: CheckedLicense, issuer: str, mode: str, at: datetime, file_sha256: str | None,
                         sealed: bool) -> None:
        self.licenses[lic.license_id] = {**self._row(lic, at, file_sha256, sealed), "issuer": issuer}

    async def update_one(self, lic: CheckedLicense, at: datetime, file_sha256: str | None, sealed: bool) -> None:
        self.licenses[lic.license_id].update(self._row(lic, at, file_sha256, sealed))

    async def save_file(self, f: VerifiedFile) -> None:
        self.files[f.sha256] = f

    async def set_file(self, license_id: str, sha256: str, sealed: bool, at: datetime) -> None:
        self.licenses[license_id].update(file_sha256=sha256, sealed=sealed)

    async def revoke(self, license_id: str, reason: str, at: datetime) -> None:
        self.licenses[license_id].update(status="revoked")

    async def claim_for_update(self, unit: str) -> dict[str, Any] | None:
        return self.claims.get(unit)

    async def save_claim(self, unit: str, license_types: list[str], stock: dict[str, int], declared: int | None,
                         at: datetime) -> None:
        self.claims[unit] = {"license_types": license_types, "stock": stock, "declared_stock": declared}

    async def grant_use(self, issuer: str, user_unit: str, license_types: list[str] | None, by: str,
                        at: datetime) -> None:
        self.grants[(issuer, user_unit)] = license_types

    async def withdraw_use(self, issuer: str, user_unit: str, by: str, at: datetime) -> bool:
        return self.grants.pop((issuer, user_unit), False) is not False

    async def authorised(self, issuer: str, user: str, license_type: str) -> bool:
        if issuer == user:
            return True
        if (issuer, user) not in self.grants:
            return False
        types = self.grants[(issuer, user)]
        return types is None or license_type in types

    async def use(self, use_id: str, *, lock: bool = False) -> dict[str, Any] | None:
        return self.uses.get(use_id)

    async def insert_use(self, *, use_id: str, license_id: str, user_unit: str, item: str, waived_materials: int,
                         at: datetime, item_code: str | None = None, materials: tuple[str, ...] = ()) -> None:
        self.uses[use_id] = {"license_id": license_id, "user_unit": user_unit, "used_at": at, "item": item,
                             "item_code": item_code, "materials": materials, "waived_materials": waived_materials}


    async def same_number(self, issuer: str, license_type: str, number: str, license_id: str) -> list[str]:
        return sorted(i for i, r in self.licenses.items() if (r["issuer"], r["license_type"], r["number"],
                                                              r["status"]) == (issuer, license_type, number, "valid")
                      and i != license_id)

    async def open_anomalies(self, license_id: str) -> dict[str, datetime]:
        return {a["code"]: a["found_at"] for a in self.anomalies
                if a["license_id"] == license_id and a["corrected_at"] is None}

    async def flag(self, *, license_id: str, issuer: str, license_type: str, code: str, detail: str,
                   at: datetime) -> None:
        self.anomalies.append({"license_id": license_id, "issuer": issuer, "code": code, "detail": detail,
                               "found_at": at, "corrected_at": None})

    async def correct(self, license_id: str, code: str, at: datetime) -> None:
        for a in self.anomalies:
            if (a["license_id"], a["code"], a["corrected_at"]) == (license_id, code, None):
                a["corrected_at"] = at


class FakeTypeRows:
    def __init__(self) -> None:
        self.versions: dict[tuple[str, int], LicenseType] = {}
        self.proposals: dict[str, ProposalRow] = {}

    async def stamp(self) -> int:
        return len(self.versions)

    async def latest(self) -> list[LicenseType]:
        newest: dict[str, LicenseType] = {}
        for (code, _), t in sorted(self.versions.items()):
            newest[code] = t
        return list(newest.values())

    async def insert_version(self, kind: LicenseType, proposal_id: str, at: datetime, by: str) -> None:
        assert (kind.code, kind.version) not in self.versions
        self.versions[(kind.code, kind.version)] = replace(kind, source="registered")

    async def codes_with_prefix(self, prefix: str) -> set[str]:
        return {code for code, _ in self.versions if code[:18] == prefix}

    async def insert_proposal(self, p: ProposalRow) -> None:
        self.proposals[p.proposal_id] = p

    async def proposal(self, proposal_id: str, *, lock: bool = False) -> ProposalRow | None:
        return self.proposals.get(proposal_id)

    async def open_change(self, code: str) -> str | None:
        return next((p.proposal_id for p in self.proposals.values()
                     if p.change_of == code and p.status == "proposed"), None)

    async def save_proposal(self, p: ProposalRow) -> None:
        self.proposals[p.proposal_id] = p


class FakeItemRows:
    def __init__(self) -> None:
        self.items: dict[str, ServiceItem] = {}

    async def get(self, code: str, *, lock: bool = False) -> ServiceItem | None:
        return self.items.get(code)

    async def save(self, item: ServiceItem, at: datetime, by: str) -> None:
        self.items[item.code] = item


class FakeElicenseUnitOfWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.licenses = FakeLicenseRows()
        self.types = FakeTypeRows()
        self.items = FakeItemRows()

    def _snapshot(self) -> Any:
        return copy.deepcopy((self.licenses.__dict__, self.types.__dict__, self.items.__dict__))

    def _restore(self, state: Any) -> None:
        self.licenses.__dict__.update(copy.deepcopy(state[0]))
        self.types.__dict__.update(copy.deepcopy(state[1]))
        self.items.__dict__.update(copy.deepcopy(state[2]))
