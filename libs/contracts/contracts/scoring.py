"""Events of the scoring service (source `scoring`): inspectors' findings and score outputs.

Points are Decimal2: exact decimals published as strings with 2 decimals ("87.50").
"""

from __future__ import annotations

import uuid
from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from contracts.base import Payload, Source
from contracts.event_types import register
from contracts.values import Decimal2, Month, RuleItem, Sha256, Uscc

Band = Literal["very-high", "high", "medium", "low"]
Listing = Literal["red", "black", "none"]
EventIds = list[uuid.UUID]  # an alias: the payloads below have a field named `list`
Effect = Literal["occurrence", "holds", "resolved", "rate", "achieved"]

# which effect each optional count field belongs to
_FIELD_EFFECT = {"count": "occurrence", "numerator": "rate", "denominator": "rate", "size": "achieved"}


class _Scoring(Payload):
    SOURCE: ClassVar[Source] = "scoring"
    VERSION: ClassVar[int] = 1


@register
class FindingRecorded(_Scoring):
    """An inspector's finding about the unit for one rule item."""

    TYPE: ClassVar[str] = "scoring.finding-recorded"

    finding_id: str = Field(min_length=1, description="id of the finding")
    item: RuleItem = Field(description="rule item id, e.g. A1.2, C2.2, D3, B4.10")
    effect: Effect = Field(description="occurrence (count), holds/resolved (flag), rate, achieved (bonus)")
    count: int | None = Field(default=None, ge=1, description="occurrence: how many")
    numerator: int | None = Field(default=None, ge=0, description="rate: done")
    denominator: int | None = Field(default=None, ge=0, description="rate: required (0 means no deduction)")
    size: int | None = Field(default=None, ge=0, description="achieved: the count the bonus depends on")
    attributed_unit: Uscc | None = Field(default=None, description="the provider the rule shifts the deduction to")
    note: str = Field(default="", description="free text")
    inspector: str = Field(min_length=1, description="who recorded the finding")

    @model_validator(mode="after")
    def _fits_effect(self) -> FindingRecorded:
        for name, effect in _FIELD_EFFECT.items():
            if getattr(self, name) is not None and self.effect != effect:
                raise ValueError(f"{name}: belongs to {effect} findings, not to {self.effect}")
        if self.effect == "occurrence" and self.count is None:
            raise ValueError("count: an occurrence finding needs a count >= 1")
        if self.effect == "rate":
            if self.numerator is None or self.denominator is None:
                raise ValueError("numerator, denominator: a rate finding needs both")
            if self.numerator > self.denominator:
                raise ValueError(f"numerator: {self.numerator} exceeds the denominator {self.denominator}")
        return self


@register
class FindingRetracted(_Scoring):
    """A finding withdrawn (corrected by its inspector, or an appeal against it upheld): it never counted.
    The envelope's unit is the finding's unit; `item` and `attributed_unit` repeat the finding's, so the
    retraction tells whose scores it moves even when it is folded before the finding itself."""

    TYPE: ClassVar[str] = "scoring.finding-retracted"

    finding_id: str = Field(min_length=1, description="id of the finding withdrawn")
    item: RuleItem = Field(description="the finding's rule item")
    attributed_unit: Uscc | None = Field(default=None, description="the finding's attributed unit, if any")
    finding_occurred_at: AwareDatetime = Field(description="the finding's event time (the month it moved)")
    reason: str = Field(min_length=1, max_length=2000, description="why it is withdrawn")
    by: str = Field(min_length=1, description="who withdrew it")


@register
class AppealLodged(_Scoring):
    """A unit contests a finding about it (or attributed to it) within the appeal window, with its reasons."""

    TYPE: ClassVar[str] = "scoring.appeal-lodged"

    appeal_id: str = Field(min_length=1, description="id of the appeal")
    finding_id: str = Field(min_length=1, description="the finding contested")
    item: RuleItem = Field(description="the finding's rule item")
    reason: str = Field(min_length=1, max_length=4000, description="why the unit thinks the finding is wrong")
    file_sha256: Sha256 | None = Field(default=None, description="SHA-256 of the supporting file, if any")


@register
class AppealDecided(_Scoring):
    """The bureau upheld an appeal (the finding is withdrawn with it) or rejected it, with its reason."""

    TYPE: ClassVar[str] = "scoring.appeal-decided"

    appeal_id: str = Field(min_length=1, description="id of the appeal")
    finding_id: str = Field(min_length=1, description="the finding contested")
    upheld: bool = Field(description="true: the finding is withdrawn")
    reason: str = Field(min_length=1, max_length=4000, description="the bureau's reason")
    by: str = Field(min_length=1, description="who decided")


SubmissionKind = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,60}$")]
# "once" for a one-off submission (a survey form, a plan), else the month it is due in (YYYY-MM)
Period = Annotated[str, Field(pattern=r"^(once|(19|20)[0-9]{2}-(0[1-9]|1[0-2]))$")]


@register
class SubmissionReceived(_Scoring):
    """A unit submitted a document the ruleset requires of it (a survey form, a plan, a monthly report)."""

    TYPE: ClassVar[str] = "scoring.submission-received"

    submission_id: str = Field(min_length=1, description="id of the submission")
    kind: SubmissionKind = Field(description="what it is, as the ruleset's submission requirements name it")
    period: Period = Field(description='"once" for a one-off document, else the month (YYYY-MM) it is due in')
    file_sha256: Sha256 = Field(description="SHA-256 of the submitted file")
    file_name: str = Field(min_length=1, max_length=200, description="the file's name as submitted")
    file_format: Literal["pdf", "ofd", "docx", "xlsx", "doc", "xls"] = Field(description="the file's format")
    completed: bool = Field(default=False, description="a progress report saying the work is complete: "
                                                       "no further monthly reports are due")
    entered_by: str | None = Field(default=None, description="the bureau's operator who entered a document "
                                                             "received outside the hub (null: submitted here)")


@register
class SubmissionAccepted(_Scoring):
    """The bureau's inspector accepted a submission: it satisfies its requirement."""

    TYPE: ClassVar[str] = "scoring.submission-accepted"

    submission_id: str = Field(min_length=1, description="id of the submission")
    kind: SubmissionKind = Field(description="what it is")
    period: Period = Field(description="the period it is for")
    inspector: str = Field(min_length=1, description="who accepted it")


@register
class SubmissionReturned(_Scoring):
    """The bureau's inspector returned a submission with a reason: it does not satisfy its requirement."""

    TYPE: ClassVar[str] = "scoring.submission-returned"

    submission_id: str = Field(min_length=1, description="id of the submission")
    kind: SubmissionKind = Field(description="what it is")
    period: Period = Field(description="the period it is for")
    reason: str = Field(min_length=1, max_length=2000, description="why it was returned")
    inspector: str = Field(min_length=1, description="who returned it")


@register
class DeadlineReminded(_Scoring):
    """A unit has nothing valid in yet for a submission whose deadline is near: it is reminded through
    its alert channels (once per requirement and period). Moves no score; the deadline does."""

    TYPE: ClassVar[str] = "scoring.deadline-reminded"
    URGENT: ClassVar[bool] = True

    reminder_id: str = Field(min_length=1, description="id of the reminder: unit, kind and period")
    kind: SubmissionKind = Field(description="what is due, as the submission requirements name it")
    period: Period = Field(description='"once" or the month (YYYY-MM) the report is due in')
    item: RuleItem = Field(description="the item a miss costs")
    title_zh: str = Field(min_length=1, description="the document, as the requirement names it")
    deadline: AwareDatetime = Field(description="the end of the deadline day")
    working_days_left: int = Field(ge=1, description="working days left, counting today and the deadline day")


InventoryEntryId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]


@register
class InventoryClaimed(_Scoring):
    """A unit states one entry of its system inventory whole (信息系统清单): what it is and how far its
    work has come. What it is counts at once; the progress it claims counts while believed (a grace
    period of working days, for good once verified, no more once rejected)."""

    TYPE: ClassVar[str] = "scoring.inventory-claimed"

    claim_id: str = Field(min_length=1, description="id of the claim")
    entry_id: InventoryEntryId = Field(description="the entry, unique within the unit")
    kind: Literal["private-network", "information-system"] = Field(description="业务专网 or 信息系统")
    name: str = Field(min_length=1, max_length=200, description="the network's or system's name")
    origin: Literal["self-built", "national-vertical"] | None = Field(
        default=None, description="systems: built by the unit (自建) or the national vertical system (国垂)")
    service_items: int = Field(default=0, ge=0, description="systems: service items it handles")
    connected: bool = Field(default=False, description="networks: connected to the e-government extranet")
    decommissioned: bool = Field(default=False, description="decommissioned, merged or reworked (撤并改)")
    on_cloud: bool = Field(default=False, description="systems: migrated to the government cloud")
    docked_items: int = Field(default=0, ge=0, description="systems: service items docked to the platform")
    form_items: int = Field(default=0, ge=0, description="systems: service items whose business forms were "
                                                         "submitted")
    evidence: str = Field(min_length=1, max_length=500, description="the document or record that shows it")
    claimant: str = Field(min_length=1, description="who stated it")


@register
class InventoryClaimReviewed(_Scoring):
    """An inspector verified or rejected a claim of a unit's system inventory, once."""

    TYPE: ClassVar[str] = "scoring.inventory-claim-reviewed"

    claim_id: str = Field(min_length=1, description="id of the claim")
    entry_id: InventoryEntryId = Field(description="the entry it is about")
    verdict: Literal["verified", "rejected"] = Field(description="verified: its progress counts for good")
    reason: str | None = Field(default=None, max_length=2000, description="rejected: why")
    inspector: str = Field(min_length=1, description="who reviewed it")


@register
class ScoreChanged(_Scoring):
    """The unit's live score for a month changed."""

    TYPE: ClassVar[str] = "scoring.score-changed"

    unit: Uscc = Field(description="the scored unit (same as the envelope unit)")
    month: Month = Field(description="the scored month, Asia/Shanghai")
    ruleset: str = Field(min_length=1, description="ruleset id, e.g. gx-2019")
    ruleset_version: int = Field(ge=1, description="ruleset version")
    x: Decimal2 = Field(description="deductions part X (0-100)")
    y: Decimal2 = Field(description="bonus part Y (0-50)")
    total: Decimal2 = Field(description="ALL = X + Y")
    band: Band = Field(description="score band")
    list: Annotated[Listing, Field(description="red list, black list or none")]
    previous_total: Decimal2 | None = Field(default=None, description="the total before this change, if any")
    position: int = Field(ge=0, description="archive position of the last event the score includes")


@register
class DeductionAlerted(_Scoring):
    """A new deduction hit the unit; tells it what, why, and whether it changed lists."""

    TYPE: ClassVar[str] = "scoring.deduction-alerted"
    URGENT: ClassVar[bool] = True

    unit: Uscc = Field(description="the unit that lost points (same as the envelope unit)")
    month: Month = Field(description="the month the deduction counts in")
    item: RuleItem = Field(description="the rule item deducted")
    points_added: Decimal2 = Field(description="points the item's deduction grew by")
    item_points: Decimal2 = Field(description="the item's deduction after this change")
    x: Decimal2 = Field(description="X after this change")
    total: Decimal2 = Field(description="ALL after this change")
    band: Band = Field(description="band after this change")
    list: Annotated[Listing, Field(description="list after this change")]
    previous_band: Band = Field(description="band before this change")
    previous_list: Listing = Field(description="list before this change")
    entered_black_list: bool = Field(description="this change put the unit on the black list")
    left_red_list: bool = Field(description="this change took the unit off the red list")
    cause_event_ids: EventIds = Field(min_length=1, description="ids of the events that caused the deduction")
    ruleset: str = Field(min_length=1, description="ruleset id")


class ClosedResult(BaseModel):
    """One unit's frozen score in a closed month."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    unit: Uscc = Field(description="the scored unit")
    total: Decimal2 = Field(description="ALL")
    sha256: Sha256 = Field(description="SHA-256 of the unit's canonical result JSON")
    under_appeal: list[str] = Field(default_factory=list, description="ids of the appeals open at the close "
                                    "against findings this result counts: final but for their outcome")


@register
class MonthClosed(_Scoring):
    """A month was closed: scores are frozen; later facts become adjustments."""

    TYPE: ClassVar[str] = "scoring.month-closed"

    month: Month = Field(description="the closed month")
    ruleset: str = Field(min_length=1, description="ruleset id")
    ruleset_version: int = Field(ge=1, description="ruleset version")
    last_position: int = Field(ge=0, description="last archive position included")
    results: list[ClosedResult] = Field(description="every scored unit's frozen total and result hash")
