"""Data resources of the catalog (seed 003, 《广西政务数据资源目录编制指南》 §5.2 and §7).

A resource starts as a draft of its unit, is submitted to and reviewed by the bureau (domain/reviews.py),
published (from then on its name is fixed:
原则上资源名称确定后不可修改), mounted as a table, file or API, and its data is refreshed on an
update cycle. Metadata changes after publication are versions; nothing is overwritten.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from contracts import code_lists
from contracts.catalog import InformationItem, MountKind, ShareType, UpdateCycle
from contracts.code_lists import CatalogKind
from contracts.resource_codes import parse_resource_code
from contracts.values import ResourceCode
from pydantic import BaseModel, ConfigDict, Field, model_validator

Status = Literal["draft", "submitted", "returned", "in_notice", "published"]
OpenType = Literal["open", "conditional", "not_open"]


class ResourceRejected(ValueError):
    """A write that breaks a catalog rule; the message names the field and the rule."""


class Metadata(BaseModel):
    """The core metadata a department fills in (§5.2); provider and code are set by the catalog."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200, description="数据资源名称")
    classification: str | None = Field(None, max_length=200, description="数据资源分类 (类/项/目/细目)")
    summary: str | None = Field(None, max_length=2000, description="数据资源摘要")
    format: str | None = Field(None, max_length=100, description="数据资源格式: 数据库表, 文件 (xls, pdf…), 接口")
    domain: str | None = Field(None, max_length=100, description="所属领域, e.g. 综合政务, 交通, 财政")
    items: list[InformationItem] = Field(default_factory=list, description="信息项: name, type, length")
    share_type: ShareType = Field(description="共享类型")
    share_condition: str | None = Field(None, max_length=2000, description="共享条件: use requirement and scope")
    share_method: str | None = Field(None, max_length=200, description="共享方式, normally 共享交换平台")
    share_basis: str | None = Field(None, max_length=2000, description="不予共享的法律法规或政策依据")
    open_type: OpenType | None = Field(None, description="开放属性")
    open_condition: str | None = Field(None, max_length=2000, description="开放条件")
    update_cycle: UpdateCycle = Field(description="更新周期")
    publish_date: date | None = Field(None, description="发布日期 (default: the day it is published)")
    related_codes: list[ResourceCode] = Field(default_factory=list, description="关联资源代码")
    secret: bool = Field(False, description=(
        "涉密属性 (§5.1.2): a secret resource is never shared nor open, and other units never see it"))
    control_parameters: bool = Field(False, description=(
        "接口需控制参数: the interface needs control parameters, so even an unconditional share is requested "
        "and reviewed (seed 003 §22)"))

    @model_validator(mode="after")
    def _share_rules(self) -> Metadata:
        check_share_rules(self)
        return self


def check_share_rules(m: Metadata) -> None:
    """Guide §5.2 (9): a refusal cites its basis; a conditional share states its condition and scope."""
    if m.share_type == "not_shared" and not (m.share_basis or "").strip():
        raise ResourceRejected("share_basis: a not_shared resource must cite the law, regulation or policy "
                               "that forbids sharing it")
    if m.share_type == "conditional" and not (m.share_condition or "").strip():
        raise ResourceRejected("share_condition: a conditional resource must state the condition and scope of use")
    if m.open_type == "conditional" and not (m.open_condition or "").strip():
        raise ResourceRejected("open_condition: a conditionally open resource must state the condition")
    if m.secret and m.share_type != "not_shared":
        raise ResourceRejected("share_type: a secret resource (涉密, §5.1.2) is never shared: not_shared, citing "
                               "its basis")
    if m.secret and m.open_type in ("open", "conditional"):
        raise ResourceRejected("open_type: a secret resource (涉密, §5.1.2) is never open")
    names = [i.name for i in m.items]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise ResourceRejected(f"items: the information item {duplicate!r} appears twice")


def check_code_lists(m: Metadata, kind: CatalogKind) -> None:
    """What a write must satisfy of the current code lists (not checked on reading what is stored: a resource
    keeps the domain it was published with until its next change). A base or theme resource gathers department
    resources: its related codes are department codes (类 3)."""
    lists = code_lists.current()
    if m.domain is not None:
        try:
            lists.check_domain(m.domain)
        except ValueError as exc:
            raise ResourceRejected(f"domain: {exc}") from None
    if kind != "department":
        for i, related in enumerate(m.related_codes):
            if (other := parse_resource_code(related).kind) != "department":
                raise ResourceRejected(f"related_codes.{i}: a {kind} resource gathers department resources "
                                       f"(类 3); {related} is a {other} resource")


def catalog_kind(code: str) -> CatalogKind:
    return parse_resource_code(code).kind


def check_change(status: Status, old: Metadata, new: Metadata) -> None:
    if status == "published" and new.name != old.name:
        raise ResourceRejected(f"name: a published resource keeps its name ({old.name!r}); "
                               "the guide fixes the name once it is determined")


def changed_fields(old: Metadata, new: Metadata) -> list[str]:
    a, b = old.model_dump(mode="json"), new.model_dump(mode="json")
    return sorted(k for k in a if a[k] != b[k])


class Mount(BaseModel):
    """What a consumer needs to reach the data (挂接): a table, a file or an API."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: MountKind
    # table: database system and table; file: where and what; api: base URL, method, documentation.
    system: str | None = Field(None, max_length=200, description="table: source system / database")
    table: str | None = Field(None, max_length=200, description="table: table name")
    url: str | None = Field(None, max_length=1000, description="file: download location; api: base URL")
    file_name: str | None = Field(None, max_length=300, description="file: file name")
    method: Literal["GET", "POST"] | None = Field(None, description="api: HTTP method")
    documentation: str | None = Field(None, max_length=2000, description="api: how to call it")

    @model_validator(mode="after")
    def _complete(self) -> Mount:
        need = {"table": ("system", "table"), "file": ("url", "file_name"), "api": ("url", "method")}[self.kind]
        missing = [f for f in need if not getattr(self, f)]
        if missing:
            raise ResourceRejected(f"{', '.join(missing)}: a {self.kind} mount needs {' and '.join(need)}")
        if self.url and not self.url.startswith(("http://", "https://", "sftp://", "ftp://")):
            raise ResourceRejected(f"url: {self.url!r} is not an http(s) or (s)ftp address")
        return self

    def access(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True, exclude={"kind"})


class Resource(BaseModel):
    """A catalog entry as stored: its code, provider, state and current (or as-of) metadata."""

    code: str
    provider: str
    status: Status
    version: int
    metadata: Metadata
    published_at: datetime | None = None
    mount_kind: MountKind | None = None
    mount_access: dict[str, Any] | None = None
    mounted_at: datetime | None = None
    last_update_at: datetime | None = None

    @property
    def mounted(self) -> bool:
        return self.mount_kind is not None

    @property
    def catalog_kind(self) -> CatalogKind:
        """基础 (base), 主题 (theme) or 部门 (department), from the code's first digit (§5.3.1)."""
        return catalog_kind(self.code)

    def hidden_from(self, department: str | None) -> bool:
        """Whether a department (its unit; None: the bureau's roles) may not see the resource: another unit's
        resource not yet published (a draft, or one under review), or another unit's secret resource (§5.1.2).
        The bureau, which keeps and reviews the catalogs, sees them all."""
        return department is not None and department != self.provider and (
            self.status != "published" or self.metadata.secret)

    def require_published(self, action: str) -> None:
        if self.status != "published":
            raise ResourceRejected(f"status: {self.code} is {self.status.replace('_', ' ')}, not published; it is "
                                   f"published when the bureau approves it, before you {action}")

    def require_mounted(self, action: str) -> None:
        if not self.mounted:
            raise ResourceRejected(f"mount: {self.code} is not mounted; mount it before you {action}")

    def require_self_reported(self) -> None:
        """A table's or a file's updates are what the exchange accepted of it, not what its provider says."""
        self.require_mounted("report updates")
        if self.mount_kind == "table":
            raise ResourceRejected(f"mount: {self.code} is a table; its updates are the batches delivered through "
                                   f"the exchange (POST /tables/{self.code}/batches), not reports")
        if self.mount_kind == "file":
            raise ResourceRejected(f"mount: {self.code} is a file; its updates are the versions uploaded through "
                                   f"the exchange (POST /files/{self.code}/versions), not reports")
