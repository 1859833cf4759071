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


AnomalyCode = Literal["duplicate-number", "issued-in-the-future"]


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
