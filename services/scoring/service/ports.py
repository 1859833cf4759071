"""What the scoring handlers need: their rows, and a view of the live projection."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from hubkit.uow import UnitOfWork

from scoring.domain.result import MonthResult


class ScoringRows(Protocol):
    async def insert_finding(self, *, finding_id: str, event_id: Any, unit: str, item: str, effect: str,
                             inspector: str, occurred_at: datetime) -> bool: ...

    async def is_closed(self, month: str) -> bool: ...

    async def freeze(self, result: MonthResult, *, last_position: int, as_of: datetime,
                     closed_by: str) -> list[tuple[str, Any, str]]: ...

    async def set_webhook(self, unit: str, url: str, secret: str) -> int: ...

    async def deactivate_webhook(self, unit: str, webhook_id: int) -> bool: ...

    async def use_console_code(self, jti: str) -> bool: ...


class ScoringUnitOfWork(UnitOfWork, Protocol):
    rows: ScoringRows


class Live(Protocol):
    """The live projection as the handlers see it (`scoring.views.LiveView`)."""

    @property
    def watermark(self) -> int | None: ...

    @property
    def position(self) -> int: ...

    def unit_kind(self, unit: str) -> str | None: ...

    def evaluate(self, month: str, as_of: datetime | int) -> MonthResult: ...
