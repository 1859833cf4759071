"""Events of the catalog service (source `catalog`): requirements, resources, mounts, updates."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.base import Payload, Source
from contracts.event_types import register
from contracts.values import ResourceCode

ShareType = Literal["unconditional", "conditional", "not_shared"]
UpdateCycle = Literal["realtime", "daily", "weekly", "monthly", "quarterly", "yearly"]
MountKind = Literal["table", "file", "api"]


class _Catalog(Payload):
    SOURCE: ClassVar[Source] = "catalog"
    VERSION: ClassVar[int] = 1


@register
class RequirementAssigned(_Catalog):
    """A batch of resources the unit must publish and mount by a deadline."""

    TYPE: ClassVar[str] = "catalog.requirement-assigned"

    batch_id: str = Field(min_length=1, description="id of the batch; a re-assignment replaces it")
    batch_kind: Literal["first_batch_catalog", "business_environment", "high_frequency", "theme"] = Field(
        description="which requirement the batch belongs to"
    )
    resource_codes: list[ResourceCode] = Field(min_length=1, description="catalog codes the unit must mount")
    deadline: date = Field(description="mount deadline of the batch (Asia/Shanghai calendar day)")


class InformationItem(BaseModel):
    """One field of a structured resource (信息项)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="信息项名称")
    type: str = Field(min_length=1, description="数据类型, e.g. string, integer, date")
    length: int | None = Field(default=None, ge=1, description="数据长度")
    required: bool | None = Field(default=None, description=(
        "必填: every row of a table delivery must carry a value (absent: false; a key item is always required)"))
    key: bool | None = Field(default=None, description=(
        "主键: part of the row key by which table deliveries insert, update and delete rows (absent: false)"))


class _ResourceMetadata(_Catalog):
    # The core metadata of the cataloguing guide (seed 003 §5.2); the provider code is the
    # envelope's `unit`.
    resource_code: ResourceCode = Field(description="数据资源代码")
    name: str = Field(min_length=1, description="数据资源名称 (fixed once published)")
    share_type: ShareType = Field(description="共享类型")
    update_cycle: UpdateCycle = Field(description="更新周期")
    classification: str | None = Field(default=None, description="数据资源分类 (类/项/目/细目)")
    summary: str | None = Field(default=None, description="数据资源摘要")
    format: str | None = Field(default=None, description="数据资源格式, e.g. database table, file, interface")
    domain: str | None = Field(default=None, description="所属领域, e.g. 综合政务, 交通, 财政")
    provider_name: str | None = Field(default=None, description="数据资源提供方 (name of the providing unit)")
    items: list[InformationItem] | None = Field(default=None, description="信息项 of a structured resource")
    share_condition: str | None = Field(default=None, description="共享条件 (use requirement, scope)")
    share_method: str | None = Field(default=None, description="共享方式, normally the exchange platform")
    share_basis: str | None = Field(default=None, description="legal or policy basis of a not_shared resource")
    open_type: Literal["open", "conditional", "not_open"] | None = Field(default=None, description="开放属性")
    open_condition: str | None = Field(default=None, description="开放条件")
    publish_date: date | None = Field(default=None, description="发布日期")
    related_codes: list[ResourceCode] | None = Field(default=None, description="关联资源代码")
    secret: bool | None = Field(default=None, description=(
        "涉密属性 (seed 003 §5.1.2): a secret resource is never shared nor open, and is not shown to other units; "
        "absent: not secret"))
    control_parameters: bool | None = Field(default=None, description=(
        "接口需控制参数: an unconditional share whose interface needs control parameters still goes through "
        "the request workflow (seed 003 §22); absent: false"))


@register
class ResourcePublished(_ResourceMetadata):
    """A resource entered the unit's published catalog, with its core metadata."""

    TYPE: ClassVar[str] = "catalog.resource-published"


@register
class ResourceMetadataChanged(_ResourceMetadata):
    """A published resource's metadata changed; the event carries the complete new metadata."""

    TYPE: ClassVar[str] = "catalog.resource-metadata-changed"


@register
class ResourceMounted(_Catalog):
    """A published resource's data was mounted on the exchange platform."""

    TYPE: ClassVar[str] = "catalog.resource-mounted"

    resource_code: ResourceCode = Field(description="the mounted resource")
    mount_kind: MountKind = Field(description="how the data is mounted")


@register
class ResourceUnmounted(_Catalog):
    """A resource's data was taken off the exchange platform."""

    TYPE: ClassVar[str] = "catalog.resource-unmounted"

    resource_code: ResourceCode = Field(description="the unmounted resource")
    reason: str | None = Field(default=None, description="why, if given")


@register
class ResourceUpdated(_Catalog):
    """A mounted resource's data was refreshed."""

    TYPE: ClassVar[str] = "catalog.resource-updated"

    resource_code: ResourceCode = Field(description="the updated resource")
    records: int | None = Field(default=None, ge=0, description="number of records in the update, if known")
    origin: Literal["reported", "delivery"] | None = Field(default=None, description=(
        "reported: the provider said so (`POST /resources/{code}/updates`, API resources only); delivery: the "
        "exchange accepted a table batch or a file version of it (`delivery_id`); absent: reported"))
    delivery_id: str | None = Field(default=None, min_length=1, description="the exchange's batch or file version")


class ReviewReason(BaseModel):
    """Why the bureau returns a submission, field by field (退回整改)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str = Field(min_length=1, max_length=100, description=(
        "the metadata field at fault (`share_basis`, `items`, `items.2`, …)"))
    reason: str = Field(min_length=1, max_length=2000, description="what is wrong and what the rule asks for")


ReviewSubject = Literal["publication", "change"]


@register
class ReviewSubmitted(_Catalog):
    """A unit submitted a resource for the bureau's review (目录报送): its publication, or a change to its
    published metadata."""

    TYPE: ClassVar[str] = "catalog.review-submitted"

    resource_code: ResourceCode = Field(description="the resource under review")
    review_id: str = Field(min_length=1, description="the review")
    subject: ReviewSubject = Field(description="publication of a draft, or a change to a published resource")
    due: datetime = Field(description="the bureau's deadline (24:00 Asia/Shanghai of the last working day)")
    changed: list[str] = Field(default_factory=list, description="a change: the metadata fields it changes")


@register
class ReviewDecided(_Catalog):
    """The bureau approved a submission (published at once, or after a public notice period: 公示) or returned
    it with reasons per field (退回整改)."""

    TYPE: ClassVar[str] = "catalog.review-decided"

    resource_code: ResourceCode = Field(description="the resource under review")
    review_id: str = Field(min_length=1, description="the review")
    subject: ReviewSubject = Field(description="publication or change")
    decision: Literal["approved", "returned"] = Field(description="the bureau's decision")
    reasons: list[ReviewReason] = Field(default_factory=list, description="returned: at least one, per field")
    notice_until: datetime | None = Field(default=None, description=(
        "approved publication with a notice period: published when it ends; absent: published at once"))


@register
class ReviewOverdue(_Catalog):
    """A submission the bureau left undecided past its deadline (said once, at the deadline)."""

    TYPE: ClassVar[str] = "catalog.review-overdue"

    resource_code: ResourceCode = Field(description="the resource under review")
    review_id: str = Field(min_length=1, description="the review")
    due: datetime = Field(description="the deadline that passed")


@register
class DuplicateDecided(_Catalog):
    """The bureau decided a pair of resources of two units that looked like the same data (重复采集, seed 003
    §6.2.6): confirmed, naming the authoritative source (一数一源, the unit that first collects it), or
    dismissed. The envelope's unit is the authoritative resource's provider (dismissed: the first code's)."""

    TYPE: ClassVar[str] = "catalog.duplicate-decided"

    resource_codes: list[ResourceCode] = Field(min_length=2, max_length=2, description="the pair, lower code first")
    decision: Literal["confirmed", "dismissed"] = Field(description="the bureau's decision")
    authoritative: ResourceCode | None = Field(default=None, description="confirmed: the authoritative source")
    reason: str | None = Field(default=None, description="why, if given")
