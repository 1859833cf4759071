"""Events of the e-license service (source `elicense`): claims, pushes, uses."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.base import Payload, Source
from contracts.event_types import register
from contracts.values import Uscc


class _Elicense(Payload):
    SOURCE: ClassVar[Source] = "elicense"
    VERSION: ClassVar[int] = 1


@register
class TypesClaimed(_Elicense):
    """The unit declared which license types it issues; each claim replaces the previous one."""

    TYPE: ClassVar[str] = "elicense.types-claimed"

    license_types: list[str] = Field(description="national license-type codes the unit issues (may be empty)")
    declared_stock: int | None = Field(default=None, ge=0, description="total stock count, null when not declared")


@register
class LicensePushed(_Elicense):
    """The issuer (`unit`) pushed a license into the central library."""

    TYPE: ClassVar[str] = "elicense.license-pushed"

    license_id: str = Field(min_length=1, description="id of the license")
    license_type: str = Field(min_length=1, description="national license-type code")
    push_mode: Literal["stock", "auto_incremental", "manual"] = Field(description="how it was pushed")
    file_format: Literal["ofd", "pdf"] | None = Field(default=None, description="attached file format, if any")
    sealed: bool = Field(description="carries the unified e-seal")


@register
class LicenseUsed(_Elicense):
    """The using unit (`unit`) used a license from the library."""

    TYPE: ClassVar[str] = "elicense.license-used"

    license_id: str = Field(min_length=1, description="id of the license")
    issuer_unit: Uscc = Field(description="USCC of the issuing unit")
    sealed: bool = Field(description="the license carries the unified e-seal")
    waived_materials: int = Field(ge=0, description="number of application materials the use waived")


@register
class LicenseRevoked(_Elicense):
    """The issuer (`unit`) revoked a license it had pushed."""

    TYPE: ClassVar[str] = "elicense.license-revoked"

    license_id: str = Field(min_length=1, description="id of the license")
    license_type: str = Field(min_length=1, description="national license-type code")
    reason: str | None = Field(default=None, description="why, if given")


AnomalyCode = Literal["duplicate-number", "issued-in-the-future", "missing-field", "file-mismatch"]


class AnomalyFound(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: AnomalyCode = Field(description="what is wrong")
    detail: str = Field(min_length=1, max_length=500, description="in words, for the issuer")


@register
class LicenseFlagged(_Elicense):
    """The library found abnormal data in a license the issuer (`unit`) pushed (电子证照总库异常数据)."""

    TYPE: ClassVar[str] = "elicense.license-flagged"

    license_id: str = Field(min_length=1, description="id of the license")
    license_type: str = Field(min_length=1, description="national license-type code")
    anomalies: list[AnomalyFound] = Field(min_length=1, description="what was found")


@register
class LicenseCorrected(_Elicense):
    """A later push of the license no longer shows an anomaly the library had found."""

    TYPE: ClassVar[str] = "elicense.license-corrected"

    license_id: str = Field(min_length=1, description="id of the license")
    license_type: str = Field(min_length=1, description="national license-type code")
    code: AnomalyCode = Field(description="the anomaly corrected")
    flagged_at: AwareDatetime = Field(description="when it was found")
    seconds_to_correct: int = Field(ge=0, description="from finding to correction")


class TypeField(BaseModel):
    """One data item of a license type beyond the common ones (照面信息)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$", description="the key in a license's fields")
    label: str = Field(min_length=1, max_length=100, description="as printed on the license")
    kind: Literal["text", "date", "number"] = Field(default="text", description="what its value is")
    required: bool = Field(default=False, description="a license without it is abnormal data")


@register
class LicenseTypeProposed(_Elicense):
    """The issuing department (`unit`) proposed a new license type, or a change of a registered type's
    fields (新增证照类型登记); the bureau reviews it."""

    TYPE: ClassVar[str] = "elicense.license-type-proposed"

    proposal_id: str = Field(min_length=1, description="id of the proposal")
    change_of: str | None = Field(default=None, description="null: a new type; else the code whose fields change")
    name: str = Field(min_length=1, max_length=100, description="the type's name")
    sector: str = Field(min_length=1, max_length=100, description="the issuing sector")
    holder_kind: Literal["person", "organisation", "either"] = Field(description="who holds such licenses")
    fields: list[TypeField] = Field(description="the type's own data items")
    round: int = Field(ge=1, description="1, or 2, 3, ... when resubmitted after a return")


@register
class LicenseTypeRegistered(_Elicense):
    """The bureau registered a proposed type under its code (GB/T 36904: the competent department's USCC and
    a serial), or the next version of a type's fields; licenses of it may be claimed and pushed from now."""

    TYPE: ClassVar[str] = "elicense.license-type-registered"

    proposal_id: str = Field(min_length=1, description="id of the proposal")
    code: str = Field(pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}[0-9]{3}$", description="the license-type code")
    version: int = Field(ge=1, description="the version of the type's field list")
    name: str = Field(min_length=1, max_length=100, description="the type's name")
    holder_kind: Literal["person", "organisation", "either"] = Field(description="who holds such licenses")
    fields: list[TypeField] = Field(description="the type's own data items, as of this version")


@register
class LicenseTypeReturned(_Elicense):
    """The bureau returned a proposal to its department (`unit`) with reasons; it may be resubmitted."""

    TYPE: ClassVar[str] = "elicense.license-type-returned"

    proposal_id: str = Field(min_length=1, description="id of the proposal")
    reason: str = Field(min_length=1, max_length=2000, description="why, in words")
    field_reasons: dict[str, str] = Field(default_factory=dict, description="why, per field of the proposal")


class ItemAcceptance(BaseModel):
    """A license type a service item accepts, and the paper materials a license of it replaces."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    license_type: str = Field(min_length=1, description="license-type code")
    materials: list[str] = Field(min_length=1, description="the materials it replaces (免提交材料)")


@register
class ServiceItemListed(_Elicense):
    """A service item (事项) handled by `unit`, with the license types it accepts in place of paper
    (免证办), listed or changed; uses of licenses in it must name materials from this list."""

    TYPE: ClassVar[str] = "elicense.service-item-listed"

    item_code: str = Field(min_length=1, max_length=64, description="事项编码")
    name: str = Field(min_length=1, max_length=200, description="事项名称")
    accepts: list[ItemAcceptance] = Field(description="license types accepted instead of paper (may be empty)")
    version: int = Field(ge=1, description="the listing's version")
