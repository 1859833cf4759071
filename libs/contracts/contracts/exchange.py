"""Events of the exchange service (source `exchange`): requests, calls, disputes, uses.

For request, call and dispute events the envelope `unit` is the provider; for data-used and
subscription-changed it is the consumer.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from contracts.base import Payload, Source
from contracts.event_types import register
from contracts.values import ResourceCode, Uscc

DataKind = Literal["government", "supervision"]

_KIND = "government data (B1.*) or supervision data (B4.*)"


class _Exchange(Payload):
    SOURCE: ClassVar[Source] = "exchange"
    VERSION: ClassVar[int] = 1


@register
class RequestSubmitted(_Exchange):
    """A unit asked the provider (`unit`) for access to a resource."""

    TYPE: ClassVar[str] = "exchange.request-submitted"

    request_id: str = Field(min_length=1, description="id of the request")
    requester_unit: Uscc = Field(description="USCC of the requesting unit")
    resource_code: ResourceCode = Field(description="the requested resource")
    data_kind: DataKind = Field(description=_KIND)


@register
class RequestForwarded(_Exchange):
    """The request reached the provider; its working-day clock starts at occurred_at."""

    TYPE: ClassVar[str] = "exchange.request-forwarded"

    request_id: str = Field(min_length=1, description="id of the request")
    data_kind: DataKind = Field(description=_KIND)


@register
class RequestApproved(_Exchange):
    """The provider approved the request."""

    TYPE: ClassVar[str] = "exchange.request-approved"

    request_id: str = Field(min_length=1, description="id of the request")
    data_kind: DataKind = Field(description=_KIND)
    forwarded_at: AwareDatetime = Field(description="when the request was forwarded to the provider")


@register
class RequestRejected(_Exchange):
    """The provider refused the request."""

    TYPE: ClassVar[str] = "exchange.request-rejected"

    request_id: str = Field(min_length=1, description="id of the request")
    data_kind: DataKind = Field(description=_KIND)
    forwarded_at: AwareDatetime = Field(description="when the request was forwarded to the provider")
    reason: str = Field(description="the stated reason; empty (after trimming) counts as no reason")


@register
class RequestOverdue(_Exchange):
    """The provider left the request undecided past its working-day deadline."""

    TYPE: ClassVar[str] = "exchange.request-overdue"

    request_id: str = Field(min_length=1, description="id of the request")
    data_kind: DataKind = Field(description=_KIND)
    forwarded_at: AwareDatetime = Field(description="when the request was forwarded to the provider")
    deadline: AwareDatetime = Field(description="the deadline that passed (24:00 of the last working day)")


@register
class CallFailed(_Exchange):
    """A consumer's call to the provider's data failed."""

    TYPE: ClassVar[str] = "exchange.call-failed"

    call_id: str = Field(min_length=1, description="id of the call")
    resource_code: ResourceCode = Field(description="the called resource")
    consumer_unit: Uscc = Field(description="USCC of the calling unit")
    data_kind: DataKind = Field(description=_KIND)
    error: Literal["timeout", "unavailable", "server_error", "bad_response"] = Field(description="how it failed")


@register
class DisputeUpheld(_Exchange):
    """A dispute found the provider's shared data inconsistent."""

    TYPE: ClassVar[str] = "exchange.dispute-upheld"

    dispute_id: str = Field(min_length=1, description="id of the dispute")
    resource_code: ResourceCode = Field(description="the resource whose data was inconsistent")
    data_kind: DataKind = Field(description=_KIND)


@register
class DisputeOverdue(_Exchange):
    """The provider (`unit`) let its 3 working days to answer a quality dispute pass (seed 003 §22(五)). The
    envelope time is the deadline itself."""

    TYPE: ClassVar[str] = "exchange.dispute-overdue"

    dispute_id: str = Field(min_length=1, description="id of the dispute")
    resource_code: ResourceCode = Field(description="the disputed resource")
    data_kind: DataKind = Field(description=_KIND)
    consumer_unit: Uscc = Field(description="USCC of the unit that raised it")
    raised_at: AwareDatetime = Field(description="when it was raised")
    deadline: AwareDatetime = Field(description="the end of the provider's 3 working days")


@register
class DataUsed(_Exchange):
    """The consumer (`unit`) used shared data to cut forms or materials."""

    TYPE: ClassVar[str] = "exchange.data-used"

    resource_code: ResourceCode = Field(description="the resource used")
    consumer_unit: Uscc = Field(description="USCC of the using unit (the same as the envelope unit)")
    purpose: Literal["general", "high_frequency", "business_environment"] = Field(description="what it served")


@register
class TrafficCounted(_Exchange):
    """The calls to the provider's (`unit`) resources in one closed window of the exchange's clock: what the
    operators' dashboard shows as the exchange at work (a successful call is no event of its own). The
    envelope time is the window's end."""

    TYPE: ClassVar[str] = "exchange.traffic-counted"

    window_start: AwareDatetime = Field(description="start of the window (inclusive)")
    window_seconds: int = Field(gt=0, description="length of the window in seconds")
    calls: int = Field(ge=1, description="calls started in the window (gateway and reported)")
    failed: int = Field(ge=0, description="calls among them that failed")
    timeouts: int = Field(ge=0, description="failed calls that timed out")
    unavailable: int = Field(ge=0, description="failed calls whose provider could not be reached")
    server_errors: int = Field(ge=0, description="failed calls the provider answered with a 5xx")
    bad_responses: int = Field(ge=0, description="failed calls the provider answered with a malformed response")
    p50_ms: float = Field(ge=0, description="median call duration in milliseconds")
    p95_ms: float = Field(ge=0, description="95th percentile of the call duration in milliseconds")
    p99_ms: float = Field(ge=0, description="99th percentile of the call duration in milliseconds")
    response_bytes: int = Field(ge=0, description="bytes the provider's answers carried")


@register
class SubscriptionChanged(_Exchange):
    """A step in the life of a subscription (an active access request) of the consumer (`unit`): renewed by
    its provider or the bureau, expired at the end of its term, revoked (for good) or suspended by the
    provider or the bureau, resumed by the bureau. The gateway honours the step at once. The envelope time is
    the step's instant (for an expiry: the end of the term)."""

    TYPE: ClassVar[str] = "exchange.subscription-changed"

    request_id: str = Field(min_length=1, description="id of the access request that granted the subscription")
    resource_code: ResourceCode = Field(description="the subscribed resource")
    provider_unit: Uscc = Field(description="USCC of the resource's provider")
    change: Literal["renewed", "expired", "revoked", "suspended", "resumed"] = Field(description="the step")
    by: Literal["provider", "bureau", "clock"] = Field(description="who took it (the clock: an expiry)")
    reason: str | None = Field(None, max_length=2000, description="why (required to revoke or suspend)")
    expires_at: AwareDatetime | None = Field(None, description="the end of the term after the step (None: open)")


@register
class TableBatchAccepted(_Exchange):
    """The provider (`unit`) delivered a batch of changes to a table resource through the exchange, and every
    row matched the resource's information items: the rows are stored and offered to subscribers by cursor.
    The catalog records it as the resource's update (`catalog.resource-updated`, origin delivery). The
    envelope time is the instant the exchange accepted it."""

    TYPE: ClassVar[str] = "exchange.table-batch-accepted"

    batch_id: str = Field(min_length=1, description="id of the batch (the exchange's)")
    resource_code: ResourceCode = Field(description="the table resource delivered")
    rows: int = Field(ge=1, description="rows in the batch")
    inserted: int = Field(ge=0, description="rows inserted")
    updated: int = Field(ge=0, description="rows updated")
    deleted: int = Field(ge=0, description="rows deleted")
    first_seq: int = Field(ge=1, description="cursor position of the batch's first change")
    last_seq: int = Field(ge=1, description="cursor position of its last change")


@register
class FileVersionAdded(_Exchange):
    """The provider (`unit`) uploaded a new version of a file resource through the exchange, its bytes checked
    against the SHA-256 it stated and stored under it: subscribers download it through the hub. The catalog
    records it as the resource's update (`catalog.resource-updated`, origin delivery). The envelope time is the
    instant the exchange stored it."""

    TYPE: ClassVar[str] = "exchange.file-version-added"

    file_id: str = Field(min_length=1, description="id of the version (the exchange's)")
    resource_code: ResourceCode = Field(description="the file resource")
    version: int = Field(ge=1, description="version number, 1 for the first")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the bytes (their name in the store)")
    size: int = Field(ge=1, description="bytes")
    name: str = Field(min_length=1, max_length=200, description="the file's name")


@register
class DemandChanged(_Exchange):
    """A step of a demand for data not yet in the catalog (需求清单, seed 003 §21/§38): raised by a department,
    assigned by the bureau to a provider with a deadline or rejected with a reason, fulfilled by the provider
    with the resource it catalogued (the demand then becomes the requester's access request) or refused with a
    basis, and flagged overdue once when its deadline passes unanswered. The envelope unit is the requester
    while the step is the bureau's to take (raised, rejected) and the provider from its assignment on
    (assigned, fulfilled, refused, overdue); the envelope time is the step's instant (overdue: the deadline)."""

    TYPE: ClassVar[str] = "exchange.demand-changed"

    demand_id: str = Field(min_length=1, description="id of the demand")
    step: Literal["raised", "assigned", "rejected", "fulfilled", "refused", "overdue"] = Field(description="the step")
    requester_unit: Uscc = Field(description="USCC of the department that needs the data")
    provider_unit: Uscc | None = Field(None, description="USCC of the provider it is assigned to (from assigned on)")
    what: str = Field(min_length=1, max_length=2000, description="the data needed")
    due: AwareDatetime | None = Field(None, description="the provider's deadline (from assigned on)")
    resource_code: ResourceCode | None = Field(None, description="the resource that fulfils it")
    request_id: str | None = Field(None, description="the access request a fulfilled demand became")
    reason: str | None = Field(None, max_length=2000, description="the bureau's reason or the provider's basis")


@register
class ResourceRated(_Exchange):
    """A unit (`unit`) that held a subscription rated a resource it used (数据使用评价, seed 003 §22(六)); a later
    rating by the same unit replaces its earlier one."""

    TYPE: ClassVar[str] = "exchange.resource-rated"

    resource_code: ResourceCode = Field(description="the rated resource")
    provider_unit: Uscc = Field(description="USCC of its provider")
    quality: int = Field(ge=1, le=5, description="data quality, 1 (poor) to 5 (excellent)")
    timeliness: int = Field(ge=1, le=5, description="timeliness of the data, 1 to 5")
    usefulness: int = Field(ge=1, le=5, description="how useful it was, 1 to 5")
    comment: str | None = Field(None, max_length=2000, description="what the unit says of it")
