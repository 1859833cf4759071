"""What the catalog's handlers need from storage: the repositories a unit of work holds. The
PostgreSQL rows (`catalog.storage`) and the in-memory fakes of the tests both fit these."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Protocol

from hubkit.uow import UnitOfWork

from catalog.domain.resources import Metadata, Mount, Resource, Status
from catalog.domain.reviews import Review
from catalog.domain.units import Unit


class Resources(Protocol):
    async def set_status(self, code: str, status: Status) -> None: ...

    async def lock_serials(self, provider: str, division: str) -> None: ...

    async def next_serial(self, provider: str, division: str, head: str = "330045") -> int: ...

    async def insert(self, *, code: str, provider: str, division: str, serial: int, metadata: Metadata,
                     at: datetime) -> None: ...

    async def exists(self, code: str) -> bool: ...

    async def get(self, code: str, *, for_update: bool = False) -> Resource | None: ...

    async def replace_draft(self, code: str, metadata: Metadata, at: datetime) -> None: ...

    async def add_version(self, code: str, version: int, metadata: Metadata, changed: list[str],
                          at: datetime) -> None: ...

    async def publish(self, code: str, metadata: Metadata, at: datetime) -> None: ...

    async def mount(self, code: str, spec: Mount, at: datetime) -> None: ...

    async def unmount(self, code: str, reason: str | None, at: datetime) -> None: ...

    async def record_update(self, code: str, records: int | None, at: datetime, *, origin: str = "reported",
                            delivery_id: str | None = None) -> None: ...

    async def assign_requirement(self, *, batch_id: str, unit: str, kind: str, title: str, deadline: date,
                                 codes: list[str], at: datetime) -> bool: ...


class Reviews(Protocol):
    async def add(self, r: Review) -> None: ...

    async def save(self, r: Review) -> None: ...

    async def latest(self, code: str) -> Review | None: ...


    async def due_overdue(self, now: datetime) -> list[Review]: ...

    async def notices_ended(self, now: datetime) -> list[Review]: ...


class Duplicates(Protocol):
    async def get(self, a: str, b: str) -> dict[str, Any] | None: ...

    async def decide(self, *, a: str, b: str, decision: str, authoritative: str | None, reason: str | None,
                     at: datetime) -> None: ...


class Units(Protocol):
    async def get(self, uscc: str) -> Unit | None: ...

    async def upsert(self, unit: Unit, *, at: datetime) -> bool: ...


class CatalogUnitOfWork(UnitOfWork, Protocol):
    resources: Resources
    reviews: Reviews
    duplicates: Duplicates
    units: Units
