"""What the exchange's handlers need from storage. Rows of the read model and of requests are
mappings (`resource["provider"]`); requests are the domain's `AccessRequest`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from hubkit.uow import UnitOfWork

from exchange.domain.demands import Demand
from exchange.domain.requests import AccessRequest
from exchange.domain.tables import Net

Row = Mapping[str, Any]


class ExchangeRows(Protocol):
    async def resource(self, code: str) -> Row | None: ...

    async def resources_by_code(self, codes: list[str]) -> dict[str, Row]: ...

    async def insert_request(self, req: AccessRequest, purpose: str) -> None: ...

    async def save_request(self, req: AccessRequest) -> None: ...

    async def get_request(self, request_id: str, *, for_update: bool = False) -> AccessRequest | None: ...

    async def due_overdue(self, now: datetime) -> list[AccessRequest]: ...

    async def latest_subscription(self, consumer: str, code: str) -> Row | None: ...

    async def gateway_route(self, consumer: str, code: str, now: datetime) -> Row | None:
        """The resource, the consumer's standing on it at `now` (storage/subscriptions.py), its endpoint."""
        ...

    async def set_endpoint(self, code: str, base_url: str, timeout_ms: int) -> None: ...

    async def insert_calls(self, calls: list[dict[str, Any]]) -> list[str]: ...

    async def insert_dispute(self, **fields: Any) -> None: ...

    async def dispute_for_update(self, dispute_id: str) -> Row | None: ...

    async def answer_dispute(self, dispute_id: str, status: str, answer: str, at: datetime,
                             correction: str | None = None, delivery: str | None = None) -> None: ...

    async def due_dispute_overdue(self, now: datetime) -> list[Row]:
        """Open disputes whose answer was due by now and that were not found overdue yet."""
        ...

    async def mark_dispute_overdue(self, dispute_id: str, at: datetime) -> None: ...

    async def insert_data_use(self, *, consumer: str, resource_code: str, purpose: str, note: str | None,
                              at: datetime) -> int: ...

    async def traffic_counted_until(self) -> datetime | None:
        """The start of the last window whose traffic was counted."""
        ...

    async def first_call(self, at_or_after: datetime | None) -> datetime | None:
        """When the first call at or after the instant started (None: no such call)."""
        ...

    async def traffic(self, start: datetime, end: datetime) -> list[Row]:
        """Per provider: calls started in [start, end) with failures by kind, percentiles and bytes."""
        ...

    async def mark_traffic_counted(self, start: datetime) -> None: ...

    async def due_expiry(self, now: datetime) -> list[AccessRequest]:
        """Held subscriptions whose term ended by now (locked: another replica skips them)."""
        ...

    async def prune_quota(self, before: datetime) -> int: ...

    async def insert_system(self, *, system_id: str, unit: str, name: str, key_hash: bytes, hint: str,
                            at: datetime) -> Row | None:
        """None when the unit has a system of that name already."""
        ...

    async def system(self, system_id: str, *, for_update: bool = False) -> Row | None: ...

    async def rotate_system(self, system_id: str, key_hash: bytes, hint: str, at: datetime) -> Row: ...

    async def revoke_system(self, system_id: str, at: datetime) -> Row: ...


class TableRows(Protocol):
    """The stored tables of table resources (storage/tables.py)."""

    async def reserve(self, code: str, n: int) -> int:
        """Reserve n cursor positions, holding the resource's batches back until commit; the first."""
        ...

    async def present(self, code: str, keys: list[str]) -> set[str]: ...

    async def write(self, code: str, batch_id: str, first: int,
                    changes: list[tuple[str, str, dict[str, Any] | None]], net: Net) -> None: ...

    async def record_batch(self, **fields: Any) -> None: ...

    async def delivered_at(self, code: str, delivery_id: str) -> datetime | None:
        """When the resource's accepted table batch or file version with this id was delivered (None: no such)."""
        ...


class FileRows(Protocol):
    """The versions of file resources (storage/files.py)."""

    async def latest(self, code: str, *, lock: bool = False) -> Row | None:
        """The newest version; `lock`: hold the resource's other uploads back until commit."""
        ...

    async def insert(self, *, file_id: str, code: str, version: int, sha256: str, size: int, name: str,
                     media_type: str, provider: str, at: datetime) -> None: ...


class DemandRows(Protocol):
    """Demands and ratings (storage/demands.py)."""

    async def insert(self, d: Demand) -> None: ...

    async def save(self, d: Demand) -> None: ...

    async def get(self, demand_id: str, *, for_update: bool = False) -> Demand | None: ...

    async def due_overdue(self, now: datetime) -> list[Demand]:
        """Assigned demands past their deadline, not flagged yet (locked: another replica skips them)."""
        ...

    async def rate(self, *, code: str, consumer: str, provider: str, quality: int, timeliness: int,
                   usefulness: int, comment: str | None, at: datetime) -> None: ...


class ExchangeUnitOfWork(UnitOfWork, Protocol):
    rows: ExchangeRows
    tables: TableRows
    files: FileRows
    demands: DemandRows
