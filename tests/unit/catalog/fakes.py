"""In-memory repositories and unit of work for the catalog's handlers: the same protocols as the
PostgreSQL rows, so a handler test needs no database."""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any

from catalog.domain.resources import Metadata, Mount, Resource, Status
from catalog.domain.reviews import Review
from catalog.domain.units import Unit
from hubkit.uow import FakeUnitOfWork


class FakeResources:
    def __init__(self) -> None:
        self.rows: dict[str, Resource] = {}
        self.serials: dict[tuple[str, str, str], int] = {}
        self.requirements: dict[tuple[str, str], tuple[Any, ...]] = {}
        self.history: list[tuple[str, str]] = []

    async def lock_serials(self, provider: str, division: str) -> None:
        pass  # one task at a time in memory

    async def next_serial(self, provider: str, division: str, head: str = "330045") -> int:
        return self.serials.get((provider, division, head), 0) + 1

    async def insert(self, *, code: str, provider: str, division: str, serial: int, metadata: Metadata,
                     at: datetime) -> None:
        key = (provider, division, code[:6])
        self.serials[key] = max(serial, self.serials.get(key, 0))
        self.rows[code] = Resource(code=code, provider=provider, status="draft", version=1, metadata=metadata)

    async def exists(self, code: str) -> bool:
        return code in self.rows

    async def set_status(self, code: str, status: Status) -> None:
        self.rows[code] = self.rows[code].model_copy(update={"status": status})

    async def get(self, code: str, *, for_update: bool = False) -> Resource | None:
        return self.rows.get(code)

    async def replace_draft(self, code: str, metadata: Metadata, at: datetime) -> None:
        self.rows[code] = self.rows[code].model_copy(update={"metadata": metadata})

    async def add_version(self, code: str, version: int, metadata: Metadata, changed: list[str],
                          at: datetime) -> None:
        self.rows[code] = self.rows[code].model_copy(update={"metadata": metadata, "version": version})

    async def publish(self, code: str, metadata: Metadata, at: datetime) -> None:
        self.rows[code] = self.rows[code].model_copy(update={"metadata": metadata, "status": "published",
                                                             "published_at": at})
        self.history.append((code, "published"))

    async def mount(self, code: str, spec: Mount, at: datetime) -> None:
        self.rows[code] = self.rows[code].model_copy(update={"mount_kind": spec.kind, "mount_access": spec.access(),
                                                             "mounted_at": at, "last_update_at": at})
        self.history.append((code, "mounted"))

    async def unmount(self, code: str, reason: str | None, at: datetime) -> None:
        self.rows[code] = self.rows[code].model_copy(update={"mount_kind": None, "mount_access": None,
                                                             "mounted_at": None, "last_update_at": None})
        self.history.append((code, "unmounted"))

    async def record_update(self, code: str, records: int | None, at: datetime, *, origin: str = "reported",
                            delivery_id: str | None = None) -> None:
        last = self.rows[code].last_update_at
        self.rows[code] = self.rows[code].model_copy(update={"last_update_at": max(at, last) if last else at})
        self.history.append((code, "updated"))

    async def assign_requirement(self, *, batch_id: str, unit: str, kind: str, title: str, deadline: date,
                                 codes: list[str], at: datetime) -> bool:
        part = (kind, title, deadline, tuple(codes))
        if self.requirements.get((batch_id, unit)) == part:
            return False
        self.requirements[(batch_id, unit)] = part
        return True


class FakeReviews:
    def __init__(self, resources: FakeResources) -> None:
        self.resources = resources
        self.rows: dict[str, Review] = {}  # by id, in submission order

    async def add(self, r: Review) -> None:
        assert not any(x.open for x in self.rows.values() if x.code == r.code), "one open review per resource"
        self.rows[r.id] = r

    async def save(self, r: Review) -> None:
        self.rows[r.id] = r

    async def latest(self, code: str) -> Review | None:
        return next((r for r in reversed(self.rows.values()) if r.code == code), None)

    async def due_overdue(self, now: datetime) -> list[Review]:
        return [r for r in self.rows.values() if r.open and r.overdue_at is None and r.due <= now]

    async def notices_ended(self, now: datetime) -> list[Review]:
        return [r for r in self.rows.values() if r.decision == "approved" and r.notice_until is not None
                and r.notice_until <= now and self.resources.rows[r.code].status == "in_notice"]


class FakeDuplicates:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], dict[str, Any]] = {}

    async def get(self, a: str, b: str) -> dict[str, Any] | None:
        return self.rows.get((a, b))

    async def decide(self, *, a: str, b: str, decision: str, authoritative: str | None, reason: str | None,
                     at: datetime) -> None:
        self.rows[(a, b)] = {"a": a, "b": b, "decision": decision, "authoritative": authoritative, "reason": reason,
                             "decided_at": at}


class FakeUnits:
    def __init__(self) -> None:
        self.rows: dict[str, Unit] = {}

    async def get(self, uscc: str) -> Unit | None:
        return self.rows.get(uscc)

    async def upsert(self, unit: Unit, *, at: datetime) -> bool:
        if self.rows.get(unit.uscc) == unit:
            return False
        self.rows[unit.uscc] = unit
        return True


class FakeCatalogUnitOfWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.resources, self.units = FakeResources(), FakeUnits()
        self.reviews, self.duplicates = FakeReviews(self.resources), FakeDuplicates()

    def _snapshot(self) -> Any:
        return copy.deepcopy((self.resources.__dict__, self.units.__dict__, self.reviews.rows, self.duplicates.rows))

    def _restore(self, state: Any) -> None:
        resources, units, reviews, duplicates = copy.deepcopy(state)
        self.resources.__dict__.update(resources)
        self.units.__dict__.update(units)
        self.reviews.rows, self.duplicates.rows = reviews, duplicates
