"""The e-license library's unit of work on PostgreSQL: its rows bound to the transaction's connection."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from hubkit.uow import AsyncpgUnitOfWork

from elicense.domain.files import VerifiedFile
from elicense.domain.license_types import LicenseType
from elicense.domain.licenses import CheckedLicense
from elicense.domain.service_items import ServiceItem
from elicense.service.ports import ItemRows, LicenseRows, ProposalRow, TypeRows
from elicense.storage import anomalies
from elicense.storage import license_types as type_rows
from elicense.storage import licenses as repo
from elicense.storage import service_items as item_rows


class PgLicenseRows:
    """`storage.licenses` on one connection, as the handlers' `LicenseRows` port."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def get(self, license_id: str, *, lock: bool = False) -> Any:
        return await repo.get(self.conn, license_id, lock=lock)

    async def insert_one(self, lic: CheckedLicense, issuer: str, mode: str, at: datetime, file_sha256: str | None,
                         sealed: bool) -> None:
        await repo.insert_one(self.conn, lic, issuer, mode, at, file_sha256, sealed)

    async def update_one(self, lic: CheckedLicense, at: datetime, file_sha256: str | None, sealed: bool) -> None:
        await repo.update_one(self.conn, lic, at, file_sha256, sealed)

    async def save_file(self, f: VerifiedFile) -> None:
        await repo.save_file(self.conn, f)

    async def set_file(self, license_id: str, sha256: str, sealed: bool, at: datetime) -> None:
        await repo.set_file(self.conn, license_id, sha256, sealed, at)

    async def revoke(self, license_id: str, reason: str, at: datetime) -> None:
        await repo.revoke(self.conn, license_id, reason, at)

    async def claim_for_update(self, unit: str) -> Any:
        return await repo.claim_for_update(self.conn, unit)

    async def save_claim(self, unit: str, license_types: list[str], stock: dict[str, int], declared: int | None,
                         at: datetime) -> None:
        await repo.save_claim(self.conn, unit, license_types, stock, declared, at)

    async def grant_use(self, issuer: str, user_unit: str, license_types: list[str] | None, by: str,
                        at: datetime) -> None:
        await repo.grant_use(self.conn, issuer, user_unit, license_types, by, at)

    async def withdraw_use(self, issuer: str, user_unit: str, by: str, at: datetime) -> bool:
        return await repo.withdraw_use(self.conn, issuer, user_unit, by, at)

    async def authorised(self, issuer: str, user: str, license_type: str) -> bool:
        return await repo.authorised(self.conn, issuer, user, license_type)

    async def use(self, use_id: str, *, lock: bool = False) -> Any:
        return await repo.use(self.conn, use_id, lock=lock)

    async def insert_use(self, *, use_id: str, license_id: str, user_unit: str, item: str, waived_materials: int,
                         at: datetime, item_code: str | None = None, materials: tuple[str, ...] = ()) -> None:
        await repo.insert_use(self.conn, use_id=use_id, license_id=license_id, user_unit=user_unit, item=item,
                              waived_materials=waived_materials, at=at, item_code=item_code, materials=materials)


    async def same_number(self, issuer: str, license_type: str, number: str, license_id: str) -> list[str]:
        return await anomalies.same_number(self.conn, issuer, license_type, number, license_id)

    async def open_anomalies(self, license_id: str) -> dict[str, datetime]:
        return await anomalies.open_of(self.conn, license_id)

    async def flag(self, *, license_id: str, issuer: str, license_type: str, code: str, detail: str,
                   at: datetime) -> None:
        await anomalies.flag(self.conn, license_id=license_id, issuer=issuer, license_type=license_type, code=code,
                             detail=detail, at=at)

    async def correct(self, license_id: str, code: str, at: datetime) -> None:
        await anomalies.correct(self.conn, license_id, code, at)


class PgTypeRows:
    """`storage.license_types` on one connection, as the handlers' `TypeRows` port."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def stamp(self) -> int:
        return await type_rows.stamp(self.conn)

    async def latest(self) -> list[LicenseType]:
        return await type_rows.latest(self.conn)

    async def insert_version(self, kind: LicenseType, proposal_id: str, at: datetime, by: str) -> None:
        await type_rows.insert_version(self.conn, kind, proposal_id, at, by)

    async def codes_with_prefix(self, prefix: str) -> set[str]:
        return await type_rows.codes_with_prefix(self.conn, prefix)

    async def insert_proposal(self, p: ProposalRow) -> None:
        await type_rows.insert_proposal(self.conn, p)

    async def proposal(self, proposal_id: str, *, lock: bool = False) -> ProposalRow | None:
        return await type_rows.proposal(self.conn, proposal_id, lock=lock)

    async def open_change(self, code: str) -> str | None:
        return await type_rows.open_change(self.conn, code)

    async def save_proposal(self, p: ProposalRow) -> None:
        await type_rows.save_proposal(self.conn, p)


class PgItemRows:
    """`storage.service_items` on one connection, as the handlers' `ItemRows` port."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def get(self, code: str, *, lock: bool = False) -> ServiceItem | None:
        return await item_rows.get(self.conn, code, lock=lock)

    async def save(self, item: ServiceItem, at: datetime, by: str) -> None:
        await item_rows.save(self.conn, item, at, by)


class PgElicenseUnitOfWork(AsyncpgUnitOfWork):
    licenses: LicenseRows
    types: TypeRows
    items: ItemRows

    def _bind(self, conn: asyncpg.Connection) -> None:
        self.licenses = PgLicenseRows(conn)
        self.types = PgTypeRows(conn)
        self.items = PgItemRows(conn)
