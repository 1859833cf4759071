"""Events of the unit registry (source `registry`)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from contracts.base import Payload, Source
from contracts.event_types import register
from contracts.values import DivisionCode, Uscc

AbsentIndicator = Literal["A1", "A2", "A3", "A4", "B3"]


@register
class UnitRegistered(Payload):
    """A government unit joined the hub or changed its registration; the latest one counts."""

    TYPE: ClassVar[str] = "registry.unit-registered"
    VERSION: ClassVar[int] = 1
    SOURCE: ClassVar[Source] = "registry"

    name: str = Field(min_length=1, description="the unit's name")
    kind: Literal["department", "city", "county"] = Field(description="regional department, city or county")
    division_code: DivisionCode = Field(description="6-digit division code, e.g. 450000 region, 450100 Nanning")
    parent_unit: Uscc | None = Field(default=None, description="USCC of the city a county belongs to, else null")
    absent_indicators: list[AbsentIndicator] = Field(
        default_factory=list, description="indicators the unit declares it lacks (scored on a reduced base)"
    )
    exempt_from: date | None = Field(
        default=None, description="not checked from this day (标注红色的单位不列入检查和考核): not scored or ranked "
        "in the month containing it and after; null: checked")
    exempt_basis: str | None = Field(default=None, min_length=1, max_length=300,
                                     description="the document that exempts the unit (with exempt_from)")

    @model_validator(mode="after")
    def _check(self) -> UnitRegistered:
        if (self.kind == "county") != (self.parent_unit is not None):
            raise ValueError("parent_unit: a county names its city; departments and cities have none")
        if len(set(self.absent_indicators)) != len(self.absent_indicators):
            raise ValueError("absent_indicators: each indicator at most once")
        if (self.exempt_from is None) != (self.exempt_basis is None):
            raise ValueError("exempt_basis: an exemption names its day and the document that grants it, together")
        if self.exempt_from is not None and self.kind == "county":
            raise ValueError("exempt_from: a county is not checked anyway (its city answers for it)")
        return self
