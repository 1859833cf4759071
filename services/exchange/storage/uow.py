"""The exchange's unit of work on PostgreSQL: its rows (`repo`) bound to the transaction's connection."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from hubkit.uow import AsyncpgUnitOfWork

from exchange.domain.demands import Demand
from exchange.domain.requests import AccessRequest
from exchange.domain.tables import Net
from exchange.service.ports import DemandRows, ExchangeRows, FileRows, TableRows
from exchange.storage import demands, disputes, files, repo, subscriptions, systems, tables, traffic


class PgExchangeRows:
    """`repo`'s functions on one connection, as the handlers' `ExchangeRows` port."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def resource(self, code: str) -> Any:
        return await repo.resource(self.conn, code)

    async def resources_by_code(self, codes: list[str]) -> dict[str, Any]:
        return await repo.resources_by_code(self.conn, codes)

    async def insert_request(self, req: AccessRequest, purpose: str) -> None:
        await repo.insert_request(self.conn, req, purpose)

    async def save_request(self, req: AccessRequest) -> None:
        await repo.save_request(self.conn, req)

    async def get_request(self, request_id: str, *, for_update: bool = False) -> AccessRequest | None:
        return await repo.get_request(self.conn, request_id, for_update=for_update)

    async def due_overdue(self, now: datetime) -> list[AccessRequest]:
        return await repo.due_overdue(self.conn, now)

    async def latest_subscription(self, consumer: str, code: str) -> Any:
        return await repo.latest_subscription(self.conn, consumer, code)

    async def gateway_route(self, consumer: str, code: str, now: datetime) -> Any:
        return await subscriptions.gateway_route(self.conn, consumer, code, now)

    async def set_endpoint(self, code: str, base_url: str, timeout_ms: int) -> None:
        await repo.set_endpoint(self.conn, code, base_url, timeout_ms)

    async def insert_calls(self, calls: list[dict[str, Any]]) -> list[str]:
        return await repo.insert_calls(self.conn, calls)

    async def insert_dispute(self, **fields: Any) -> None:
        await disputes.insert(self.conn, **fields)

    async def dispute_for_update(self, dispute_id: str) -> Any:
        return await disputes.for_update(self.conn, dispute_id)

    async def answer_dispute(self, dispute_id: str, status: str, answer: str, at: datetime,
                             correction: str | None = None, delivery: str | None = None) -> None:
        await disputes.answer(self.conn, dispute_id, status, answer, at, correction, delivery)

    async def due_dispute_overdue(self, now: datetime) -> list[Any]:
        return await disputes.due_overdue(self.conn, now)

    async def mark_dispute_overdue(self, dispute_id: str, at: datetime) -> None:
        await disputes.mark_overdue(self.conn, dispute_id, at)

    async def traffic_counted_until(self) -> datetime | None:
        return await traffic.last_counted(self.conn)

    async def first_call(self, at_or_after: datetime | None) -> datetime | None:
        return await traffic.first_call(self.conn, at_or_after)

    async def traffic(self, start: datetime, end: datetime) -> list[Any]:
        return await traffic.per_provider(self.conn, start, end)

    async def mark_traffic_counted(self, start: datetime) -> None:
        await traffic.mark_counted(self.conn, start)

    async def insert_data_use(self, *, consumer: str, resource_code: str, purpose: str, note: str | None,
                              at: datetime) -> int:
        return await repo.insert_data_use(self.conn, consumer=consumer, resource_code=resource_code,
                                          purpose=purpose, note=note, at=at)

    async def due_expiry(self, now: datetime) -> list[AccessRequest]:
        return await subscriptions.due_expiry(self.conn, now)

    async def prune_quota(self, before: datetime) -> int:
        return await subscriptions.prune_quota(self.conn, before)

    async def insert_system(self, *, system_id: str, unit: str, name: str, key_hash: bytes, hint: str,
                            at: datetime) -> Any:
        return await systems.insert(self.conn, system_id=system_id, unit=unit, name=name, key_hash=key_hash,
                                    hint=hint, at=at)

    async def system(self, system_id: str, *, for_update: bool = False) -> Any:
        return await systems.get(self.conn, system_id, for_update=for_update)

    async def rotate_system(self, system_id: str, key_hash: bytes, hint: str, at: datetime) -> Any:
        return await systems.rotate(self.conn, system_id, key_hash, hint, at)

    async def revoke_system(self, system_id: str, at: datetime) -> Any:
        return await systems.revoke(self.conn, system_id, at)


class PgTableRows:
    """`tables`' functions on one connection, as the handlers' `TableRows` port."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def reserve(self, code: str, n: int) -> int:
        return await tables.reserve(self.conn, code, n)

    async def present(self, code: str, keys: list[str]) -> set[str]:
        return await tables.present(self.conn, code, keys)

    async def write(self, code: str, batch_id: str, first: int,
                    changes: list[tuple[str, str, dict[str, Any] | None]], net: Net) -> None:
        await tables.write(self.conn, code, batch_id, first, changes, net)

    async def record_batch(self, **fields: Any) -> None:
        await tables.record_batch(self.conn, **fields)

    async def delivered_at(self, code: str, delivery_id: str) -> datetime | None:
        return await tables.delivered_at(self.conn, code, delivery_id)


class PgFileRows:
    """`files`' functions on one connection, as the handlers' `FileRows` port."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def latest(self, code: str, *, lock: bool = False) -> Any:
        return await files.latest(self.conn, code, lock=lock)

    async def insert(self, *, file_id: str, code: str, version: int, sha256: str, size: int, name: str,
                     media_type: str, provider: str, at: datetime) -> None:
        await files.insert(self.conn, file_id=file_id, code=code, version=version, sha256=sha256, size=size,
                           name=name, media_type=media_type, provider=provider, at=at)


class PgDemandRows:
    """`demands`' functions on one connection, as the handlers' `DemandRows` port."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def insert(self, d: Demand) -> None:
        await demands.insert(self.conn, d)

    async def save(self, d: Demand) -> None:
        await demands.save(self.conn, d)

    async def get(self, demand_id: str, *, for_update: bool = False) -> Demand | None:
        return await demands.get(self.conn, demand_id, for_update=for_update)

    async def due_overdue(self, now: datetime) -> list[Demand]:
        return await demands.due_overdue(self.conn, now)

    async def rate(self, *, code: str, consumer: str, provider: str, quality: int, timeliness: int,
                   usefulness: int, comment: str | None, at: datetime) -> None:
        await demands.rate(self.conn, code=code, consumer=consumer, provider=provider, quality=quality,
                           timeliness=timeliness, usefulness=usefulness, comment=comment, at=at)


class PgExchangeUnitOfWork(AsyncpgUnitOfWork):
    rows: ExchangeRows
    tables: TableRows
    files: FileRows
    demands: DemandRows

    def _bind(self, conn: asyncpg.Connection) -> None:
        self.rows, self.tables, self.files = PgExchangeRows(conn), PgTableRows(conn), PgFileRows(conn)
        self.demands = PgDemandRows(conn)
