"""What the e-license handlers need: the library's rows, and something that verifies and keeps files."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from hubkit.uow import UnitOfWork

from elicense.domain.files import VerifiedFile
from elicense.domain.licenses import CheckedLicense

Row = Mapping[str, Any]


class LicenseRows(Protocol):
    async def get(self, license_id: str, *, lock: bool = False) -> Row | None: ...

    async def insert_one(self, lic: CheckedLicense, issuer: str, mode: str, at: datetime, file_sha256: str | None,
                         sealed: bool) -> None: ...

    async def update_one(self, lic: CheckedLicense, at: datetime, file_sha256: str | None, sealed: bool) -> None: ...

    async def save_file(self, f: VerifiedFile) -> None: ...

    async def set_file(self, license_id: str, sha256: str, sealed: bool, at: datetime) -> None: ...

    async def revoke(self, license_id: str, reason: str, at: datetime) -> None: ...

    async def claim_for_update(self, unit: str) -> Row | None: ...

    async def save_claim(self, unit: str, license_types: list[str], stock: dict[str, int], declared: int | None,
                         at: datetime) -> None: ...

    async def grant_use(self, issuer: str, user_unit: str, license_types: list[str] | None, by: str,
                        at: datetime) -> None: ...

    async def withdraw_use(self, issuer: str, user_unit: str, by: str, at: datetime) -> bool: ...

    async def authorised(self, issuer: str, user: str, license_type: str) -> bool: ...

    async def use(self, use_id: str) -> Row | None: ...

    async def insert_use(self, *, use_id: str, license_id: str, user_unit: str, item: str, waived_materials: int,
                         at: datetime) -> None: ...


    async def same_number(self, issuer: str, license_type: str, number: str, license_id: str) -> list[str]:
        """Ids of the issuer's other valid licenses of the type that carry this number."""
        ...

    async def open_anomalies(self, license_id: str) -> dict[str, datetime]:
        """The license's anomalies not corrected yet: code -> when found."""
        ...

    async def flag(self, *, license_id: str, issuer: str, license_type: str, code: str, detail: str,
                   at: datetime) -> None: ...

    async def correct(self, license_id: str, code: str, at: datetime) -> None: ...


class ElicenseUnitOfWork(UnitOfWork, Protocol):
    licenses: LicenseRows


class FileVerifier(Protocol):
    """Checks a license file (format from the bytes, seals against the trust roots) and keeps it in the
    blob store; raises `FileRejected` with the reason."""

    async def __call__(self, data: bytes, claimed: str | None) -> VerifiedFile: ...
