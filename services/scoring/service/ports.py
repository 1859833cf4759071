"""What the scoring handlers need: their rows, and a view of the live projection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from hubkit.uow import UnitOfWork

from scoring.domain.activity import Activity, CatalogTask
from scoring.domain.dashboard import Unit
from scoring.domain.result import MonthResult


@dataclass(frozen=True, slots=True)
class SubmissionRow:
    submission_id: str
    unit: str
    kind: str
    period: str
    received_at: datetime
    file_sha256: str
    file_name: str
    file_format: str
    completed: bool
    status: str = "received"  # received | accepted | returned
    reviewed_at: datetime | None = None
    reviewer: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ClaimRow:
    """A claim of a unit's system inventory and its review (see domain/inventory.py)."""

    claim_id: str
    unit: str
    entry_id: str
    claimed_at: datetime
    kind: str
    name: str
    origin: str | None
    service_items: int
    connected: bool
    decommissioned: bool
    on_cloud: bool
    docked_items: int
    form_items: int
    evidence: str
    claimant: str
    status: str = "claimed"  # claimed | verified | rejected
    reviewed_at: datetime | None = None
    reviewer: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ReminderRow:
    """A reminder sent: its alert (owed to the unit's active webhooks) and its id, kept so it is sent once."""
    reminder_id: str
    event_id: Any
    unit: str
    month: str
    item: str
    remind_at: datetime
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FindingRow:
    finding_id: str
    event_id: Any
    unit: str
    item: str
    effect: str
    inspector: str
    occurred_at: datetime
    attributed_unit: str | None = None
    note: str = ""
    count: int | None = None
    retracted_at: datetime | None = None
    retracted_by: str | None = None
    retract_reason: str | None = None


@dataclass(frozen=True, slots=True)
class AppealRow:
    appeal_id: str
    finding_id: str
    unit: str
    lodged_at: datetime
    reason: str
    file_name: str | None = None
    file_format: str | None = None
    file_sha256: str | None = None
    status: str = "lodged"  # lodged | upheld | rejected
    decided_at: datetime | None = None
    decided_by: str | None = None
    decision_reason: str | None = None


class ScoringRows(Protocol):
    async def insert_finding(self, *, finding_id: str, event_id: Any, unit: str, item: str, effect: str,
                             inspector: str, occurred_at: datetime, attributed_unit: str | None = None,
                             note: str = "", count: int | None = None) -> bool: ...

    async def insert_findings(self, rows: list[FindingRow]) -> list[str]:
        """Many at once (a sweep's); the ids that were recorded already (those rows are left out)."""
        ...

    async def finding_for_retraction(self, finding_id: str) -> FindingRow | None:
        """The finding, locked until the unit of work ends (None: no such finding)."""
        ...

    async def retract_finding(self, finding_id: str, *, at: datetime, by: str, reason: str) -> None: ...

    async def insert_appeal(self, row: AppealRow, file: bytes | None) -> bool:
        """False when the finding was appealed already (one appeal per finding)."""
        ...

    async def appeal_for_decision(self, appeal_id: str) -> AppealRow | None:
        """The appeal, locked until the unit of work ends (None: no such appeal)."""
        ...

    async def decide_appeal(self, appeal_id: str, *, status: str, at: datetime, by: str, reason: str) -> None: ...

    async def is_closed(self, month: str) -> bool: ...

    async def open_appeals(self) -> list[tuple[str, str]]:
        """(appeal id, event id of the appealed finding) of every appeal not decided yet."""
        ...

    async def freeze(self, result: MonthResult, *, last_position: int, as_of: datetime, closed_by: str,
                     under_appeal: dict[str, list[str]]) -> list[tuple[str, Any, str]]: ...

    async def set_webhook(self, unit: str, url: str, secret: str) -> int: ...

    async def deactivate_webhook(self, unit: str, webhook_id: int) -> bool: ...

    async def use_console_code(self, jti: str) -> bool: ...

    async def insert_submission(self, row: SubmissionRow, file: bytes) -> None: ...

    async def submission_for_review(self, unit: str, submission_id: str) -> SubmissionRow | None:
        """The submission, locked until the unit of work ends (None: no such submission of the unit)."""
        ...

    async def review_submission(self, submission_id: str, *, status: str, at: datetime, reviewer: str,
                                reason: str | None) -> None: ...

    async def submissions_to_judge(self) -> list[SubmissionRow]:
        """Every submission, without its file (the sweep judges them all)."""
        ...

    async def submissions_stamp(self) -> tuple[int, int]:
        """(submissions, reviewed submissions): changes whenever one is added or reviewed."""
        ...

    async def automatic_findings(self, inspector: str) -> set[str]:
        """The ids of the findings the hub recorded itself as this inspector (hub:submissions, ...) so far."""
        ...

    async def insert_claim(self, row: ClaimRow) -> None: ...

    async def entry_kind(self, unit: str, entry_id: str) -> str | None:
        """The kind of an entry of the unit's inventory (None: no such entry yet)."""
        ...

    async def claim_for_review(self, unit: str, claim_id: str) -> ClaimRow | None:
        """The claim, locked until the unit of work ends (None: no such claim of the unit)."""
        ...

    async def review_claim(self, claim_id: str, *, status: str, at: datetime, reviewer: str,
                           reason: str | None) -> None: ...

    async def claims_to_judge(self) -> list[ClaimRow]:
        """Every claim of every unit (the inventory sweep reads them all)."""
        ...

    async def reminders_sent(self) -> set[str]:
        """The ids of the reminders sent so far."""
        ...

    async def insert_reminders(self, rows: list[ReminderRow]) -> None:
        """The reminders and their alerts, each owed to every active webhook of its unit (a sweep's, at once)."""
        ...

    async def lock_sweep(self, name: str) -> None:
        """Wait until no other sweep of this name runs (held until the unit of work ends)."""
        ...


class ScoringUnitOfWork(UnitOfWork, Protocol):
    rows: ScoringRows


class Live(Protocol):
    """The live projection as the handlers see it (`scoring.views.LiveView`)."""

    @property
    def watermark(self) -> int | None: ...

    @property
    def position(self) -> int: ...

    def unit_kind(self, unit: str) -> str | None: ...

    async def caught_up(self, timeout: float) -> int | None:
        """Events on the broker at the call still not folded after waiting up to `timeout` s (None: the
        projection is not reading yet)."""
        ...

    async def undecided_requests(self, unit: str) -> list[tuple[str, int]]:
        """(request id, decision deadline) of the data-sharing requests forwarded to the unit it has not
        decided, as the facts say."""
        ...

    def units(self) -> dict[str, Unit]:
        """Every registered unit's name, kind and (a county's) city."""
        ...

    async def activity(self, month: str | None = None) -> Activity | None:
        """The province's catalog, exchange and e-license figures at the watermark, or at the end of `month`
        when that came before it (None: no event yet)."""
        ...

    async def catalog_tasks(self, unit: str) -> list[CatalogTask]:
        """The unit's catalog work at the watermark: required resources to publish or mount, stale ones."""
        ...

    def scored_units(self, month: str | None = None) -> list[tuple[str, str, frozenset[str], int]]:
        """(unit, kind, absent indicators, registered at) of every registered department and city (checked
        in `month`: not exempt then)."""
        ...

    async def evaluate(self, month: str, as_of: datetime | int, *, wait: float) -> tuple[MonthResult, int] | None:
        """Every scored unit's result of `month` at `as_of` from committed facts only, and the archive position
        it stands on (None: the projection could not be held still within `wait` seconds)."""
        ...
