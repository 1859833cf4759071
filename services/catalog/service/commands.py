"""What the catalog is asked to do, each as a small immutable command. `actor` is who asks (the access
rule already let the role in; the handler checks the object); `at` is when the change holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from contracts.catalog import ReviewReason
from contracts.code_lists import CatalogKind
from hubkit.auth import Principal

from catalog.domain.resources import Metadata, Mount
from catalog.domain.reviews import NOTICE_DAYS, REVIEW_DAYS
from catalog.domain.units import Unit


@dataclass(frozen=True)
class RegisterUnit:
    actor: Principal
    unit: Unit
    at: datetime


@dataclass(frozen=True)
class CreateResource:
    """`catalog`: the kind of catalog (None: the imported code's, or a department resource); `item`: a base or
    theme resource's item (项) from the code lists."""

    actor: Principal
    provider: str
    metadata: Metadata
    resource_code: str | None
    at: datetime
    catalog: CatalogKind | None = None
    item: str | None = None


@dataclass(frozen=True)
class ChangeMetadata:
    """A draft's or a returned resource's metadata is edited in place; a published resource's change is
    submitted for review (answered within `review_days` working days)."""

    actor: Principal
    code: str
    metadata: Metadata
    at: datetime
    review_days: int = REVIEW_DAYS


@dataclass(frozen=True)
class SubmitResource:
    actor: Principal
    code: str
    at: datetime
    review_days: int = REVIEW_DAYS


@dataclass(frozen=True)
class DecideReview:
    """The bureau's decision on a resource's open submission: approve (publication after `notice_days` working
    days of public notice, 0: at once; None: `default_notice_days` for a publication, none for a change) or
    return with reasons per field."""

    actor: Principal
    code: str
    decision: Literal["approve", "return"]
    reasons: tuple[ReviewReason, ...]
    notice_days: int | None
    at: datetime
    default_notice_days: int = NOTICE_DAYS


@dataclass(frozen=True)
class MountResource:
    actor: Principal
    code: str
    mount: Mount
    at: datetime


@dataclass(frozen=True)
class UnmountResource:
    actor: Principal
    code: str
    reason: str | None
    at: datetime


@dataclass(frozen=True)
class ReportUpdate:
    actor: Principal
    code: str
    records: int | None
    at: datetime


@dataclass(frozen=True)
class UnitPart:
    unit: str
    resource_codes: tuple[str, ...]


BatchKind = Literal["first_batch_catalog", "business_environment", "high_frequency", "theme"]


@dataclass(frozen=True)
class AssignBatch:
    actor: Principal
    batch_id: str
    batch_kind: BatchKind
    title: str
    deadline: date
    units: tuple[UnitPart, ...]
    at: datetime


@dataclass(frozen=True)
class ImportCsv:
    actor: Principal
    text: str
    at: datetime
    review_days: int = REVIEW_DAYS


@dataclass(frozen=True)
class DecideDuplicate:
    """The bureau confirms two units' resources as the same data (naming the authoritative source) or
    dismisses the candidate."""

    actor: Principal
    codes: tuple[str, str]
    decision: Literal["confirm", "dismiss"]
    authoritative: str | None
    reason: str | None
    at: datetime
