"""What the e-license handlers need: the library's rows, and something that verifies and keeps files."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from hubkit.uow import UnitOfWork

from elicense.domain.files import VerifiedFile
from elicense.domain.license_types import FieldSpec, LicenseType
from elicense.domain.licenses import CheckedLicense
from elicense.domain.service_items import ServiceItem

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

    async def use(self, use_id: str, *, lock: bool = False) -> Row | None: ...

    async def insert_use(self, *, use_id: str, license_id: str, user_unit: str, item: str, waived_materials: int,
                         at: datetime, item_code: str | None = None, materials: tuple[str, ...] = ()) -> None: ...


    async def same_number(self, issuer: str, license_type: str, number: str, license_id: str) -> list[str]:
        """Ids of the issuer's other valid licenses of the type that carry this number."""
        ...

    async def open_anomalies(self, license_id: str) -> dict[str, datetime]:
        """The license's anomalies not corrected yet: code -> when found."""
        ...

    async def flag(self, *, license_id: str, issuer: str, license_type: str, code: str, detail: str,
                   at: datetime) -> None: ...

    async def correct(self, license_id: str, code: str, at: datetime) -> None: ...


@dataclass(frozen=True)
class ProposalRow:
    """A proposed license type (or a change of a registered type's fields) and its review."""

    proposal_id: str
    proposer: str
    change_of: str | None
    name: str
    sector: str
    holder_kind: str
    fields: tuple[FieldSpec, ...]
    status: str  # proposed, registered, returned
    proposed_at: datetime
    proposed_by: str
    due_at: datetime
    reviewed_at: datetime | None = None
    reviewed_by: str | None = None
    reason: str | None = None
    field_reasons: dict[str, str] = field(default_factory=dict)
    code: str | None = None
    version: int | None = None
    rounds: int = 1


class TypeRows(Protocol):
    async def stamp(self) -> int:
        """Changes whenever a type version is registered."""
        ...

    async def latest(self) -> list[LicenseType]:
        """Every registered code at its newest version."""
        ...

    async def insert_version(self, kind: LicenseType, proposal_id: str, at: datetime, by: str) -> None: ...

    async def codes_with_prefix(self, prefix: str) -> set[str]: ...

    async def insert_proposal(self, p: ProposalRow) -> None: ...

    async def proposal(self, proposal_id: str, *, lock: bool = False) -> ProposalRow | None: ...

    async def open_change(self, code: str) -> str | None:
        """The proposal under review that changes this type's fields, if any."""
        ...

    async def save_proposal(self, p: ProposalRow) -> None: ...


class ItemRows(Protocol):
    async def get(self, code: str, *, lock: bool = False) -> ServiceItem | None: ...

    async def save(self, item: ServiceItem, at: datetime, by: str) -> None: ...


class ElicenseUnitOfWork(UnitOfWork, Protocol):
    licenses: LicenseRows
    types: TypeRows
    items: ItemRows


class FileVerifier(Protocol):
    """Checks a license file (format from the bytes, seals against the trust roots) and keeps it in the
    blob store; raises `FileRejected` with the reason."""

    async def __call__(self, data: bytes, claimed: str | None) -> VerifiedFile: ...
