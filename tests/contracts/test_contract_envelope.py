"""Envelope construction, topics and the type registry."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import contracts
import pytest
from contracts import (
    ALL_TOPICS,
    DEADLETTER_TOPIC,
    REGISTRY,
    Envelope,
    UnknownEventType,
    catalog,
    elicense,
    exchange,
    new_envelope,
    registry_events,
    scoring,
)
from contracts.values import build_resource_code, make_uscc
from contracts.workdays import SHANGHAI
from pydantic import ValidationError

UNIT = make_uscc("450000", "MB151900")
CODE = build_resource_code("450000", UNIT, 7)
AT = datetime(2019, 8, 5, 10, 12, tzinfo=SHANGHAI)

EXPECTED_TYPES = {
    "registry.unit-registered": registry_events.UnitRegistered,
    "catalog.requirement-assigned": catalog.RequirementAssigned,
    "catalog.resource-published": catalog.ResourcePublished,
    "catalog.resource-mounted": catalog.ResourceMounted,
    "catalog.resource-updated": catalog.ResourceUpdated,
    "catalog.review-submitted": catalog.ReviewSubmitted,
    "catalog.review-decided": catalog.ReviewDecided,
    "catalog.review-overdue": catalog.ReviewOverdue,
    "catalog.duplicate-decided": catalog.DuplicateDecided,
    "catalog.resource-unmounted": catalog.ResourceUnmounted,
    "catalog.resource-metadata-changed": catalog.ResourceMetadataChanged,
    "exchange.request-submitted": exchange.RequestSubmitted,
    "exchange.request-forwarded": exchange.RequestForwarded,
    "exchange.request-approved": exchange.RequestApproved,
    "exchange.request-rejected": exchange.RequestRejected,
    "exchange.request-overdue": exchange.RequestOverdue,
    "exchange.call-failed": exchange.CallFailed,
    "exchange.dispute-upheld": exchange.DisputeUpheld,
    "exchange.dispute-overdue": exchange.DisputeOverdue,
    "exchange.data-used": exchange.DataUsed,
    "exchange.traffic-counted": exchange.TrafficCounted,
    "exchange.subscription-changed": exchange.SubscriptionChanged,
    "exchange.table-batch-accepted": exchange.TableBatchAccepted,
    "exchange.file-version-added": exchange.FileVersionAdded,
    "exchange.demand-changed": exchange.DemandChanged,
    "exchange.resource-rated": exchange.ResourceRated,
    "elicense.types-claimed": elicense.TypesClaimed,
    "elicense.license-pushed": elicense.LicensePushed,
    "elicense.license-used": elicense.LicenseUsed,
    "elicense.license-revoked": elicense.LicenseRevoked,
    "elicense.license-flagged": elicense.LicenseFlagged,
    "elicense.license-corrected": elicense.LicenseCorrected,
    "elicense.license-type-proposed": elicense.LicenseTypeProposed,
    "elicense.license-type-registered": elicense.LicenseTypeRegistered,
    "elicense.license-type-returned": elicense.LicenseTypeReturned,
    "elicense.service-item-listed": elicense.ServiceItemListed,
    "scoring.finding-recorded": scoring.FindingRecorded,
    "scoring.score-changed": scoring.ScoreChanged,
    "scoring.deduction-alerted": scoring.DeductionAlerted,
    "scoring.month-closed": scoring.MonthClosed,
    "scoring.finding-retracted": scoring.FindingRetracted,
    "scoring.appeal-lodged": scoring.AppealLodged,
    "scoring.appeal-decided": scoring.AppealDecided,
    "scoring.submission-received": scoring.SubmissionReceived,
    "scoring.submission-accepted": scoring.SubmissionAccepted,
    "scoring.submission-returned": scoring.SubmissionReturned,
    "scoring.inventory-claimed": scoring.InventoryClaimed,
    "scoring.inventory-claim-reviewed": scoring.InventoryClaimReviewed,
    "scoring.deadline-reminded": scoring.DeadlineReminded,
}


def test_registry_holds_every_contract_type() -> None:
    assert REGISTRY == EXPECTED_TYPES
    for type_, cls in REGISTRY.items():
        assert cls.TYPE == type_
        assert cls.SOURCE == type_.split(".")[0]
        assert cls.VERSION == 1
        assert contracts.payload_class(type_) is cls


def test_topics() -> None:
    assert contracts.topic_for("catalog.resource-mounted") == "hub.catalog.resource-mounted.v1"
    assert contracts.topic_for("exchange.call-failed", 3) == "hub.exchange.call-failed.v3"
    headline = {
        "hub.catalog.resource-mounted.v1",
        "hub.exchange.request-approved.v1",
        "hub.elicense.license-pushed.v1",
        "hub.exchange.call-failed.v1",
    }
    assert headline <= set(ALL_TOPICS)
    assert ALL_TOPICS == sorted(f"hub.{t}.v1" for t in EXPECTED_TYPES)
    assert DEADLETTER_TOPIC == "hub.deadletter.v1"
    with pytest.raises(UnknownEventType, match=r"unknown event type 'catalog.nope'"):
        contracts.topic_for("catalog.nope")


def test_every_payload_field_is_described() -> None:
    for cls in REGISTRY.values():
        undocumented = [n for n, f in cls.model_fields.items() if not f.description]
        assert undocumented == [], cls.__name__
        assert cls.__doc__


def test_new_envelope_fills_type_version_source_and_uuid7() -> None:
    env = new_envelope(catalog.ResourceMounted(resource_code=CODE, mount_kind="api"), unit=UNIT, occurred_at=AT)
    assert (env.type, env.version, env.source, env.unit) == ("catalog.resource-mounted", 1, "catalog", UNIT)
    assert env.topic == "hub.catalog.resource-mounted.v1"
    assert env.id.version == 7
    assert type(env.id) is uuid.UUID
    assert env.recorded_at is None
    fixed = uuid.UUID("0190c0a1-6b3e-7c1e-9a55-3f2d4b1c8e01")
    assert new_envelope(env.data, unit=UNIT, occurred_at=AT, id=fixed).id == fixed


def test_envelope_is_frozen_and_closed() -> None:
    env = new_envelope(catalog.ResourceUpdated(resource_code=CODE), unit=UNIT, occurred_at=AT)
    with pytest.raises(ValidationError):
        env.unit = UNIT  # type: ignore[misc]
    with pytest.raises(ValidationError, match="extra"):
        catalog.ResourceUpdated(resource_code=CODE, rows=3)  # type: ignore[call-arg]


def test_envelope_rejects_naive_time_and_bad_unit() -> None:
    payload = catalog.ResourceUpdated(resource_code=CODE)
    with pytest.raises(ValidationError) as info:
        new_envelope(payload, unit="11450000MB1519000K", occurred_at=datetime(2019, 8, 5, 10, 12))
    locs = {e["loc"]: e["msg"] for e in info.value.errors()}
    assert locs[("unit",)] == "Value error, check character should be 'C', got 'K'"
    assert locs[("occurred_at",)] == "Input should have timezone info"


def test_envelope_checks_payload_matches_type() -> None:
    payload = catalog.ResourceUpdated(resource_code=CODE)
    base = {"id": uuid.uuid4(), "version": 1, "source": "catalog", "unit": UNIT, "occurred_at": AT}
    with pytest.raises(ValidationError, match=r"data: catalog.resource-mounted carries ResourceMounted"):
        Envelope(type="catalog.resource-mounted", data=payload, **base)
    with pytest.raises(ValidationError, match=r"source: catalog.resource-updated is produced by 'catalog'"):
        Envelope(type="catalog.resource-updated", data=payload, **{**base, "source": "scoring"})
    with pytest.raises(ValidationError, match=r"version: catalog.resource-updated is at version 1, got 2"):
        Envelope(type="catalog.resource-updated", data=payload, **{**base, "version": 2})


def test_envelope_validates_dict_payload_by_type() -> None:
    env = Envelope.model_validate(
        {"id": str(uuid.uuid4()), "type": "catalog.resource-mounted", "version": 1, "source": "catalog",
         "unit": UNIT, "occurred_at": "2019-08-05T10:12:00+08:00",
         "data": {"resource_code": CODE, "mount_kind": "table"}}
    )
    assert env.data == catalog.ResourceMounted(resource_code=CODE, mount_kind="table")


def test_unit_registered_rules() -> None:
    city = make_uscc("450100", "MB000001")
    county = registry_events.UnitRegistered(
        name="武鸣区", kind="county", division_code="450110", parent_unit=city, absent_indicators=["A1", "B3"]
    )
    assert county.absent_indicators == ["A1", "B3"]
    with pytest.raises(ValidationError, match="parent_unit: a county names its city"):
        registry_events.UnitRegistered(name="x", kind="county", division_code="450110")
    with pytest.raises(ValidationError, match="parent_unit: a county names its city"):
        registry_events.UnitRegistered(name="x", kind="city", division_code="450100", parent_unit=city)
    with pytest.raises(ValidationError, match="absent_indicators: each indicator at most once"):
        registry_events.UnitRegistered(name="x", kind="city", division_code="450100", absent_indicators=["A1", "A1"])
    with pytest.raises(ValidationError, match="division_code"):
        registry_events.UnitRegistered(name="x", kind="city", division_code="000000")
    with pytest.raises(ValidationError, match=r"absent_indicators.0"):
        registry_events.UnitRegistered(name="x", kind="city", division_code="450100", absent_indicators=["C1"])


def test_resource_published_carries_core_metadata() -> None:
    published = catalog.ResourcePublished(
        resource_code=CODE,
        name="企业登记信息",
        share_type="conditional",
        update_cycle="daily",
        items=[catalog.InformationItem(name="统一社会信用代码", type="string", length=18)],
        publish_date=date(2019, 6, 1),
        related_codes=[build_resource_code("450100", UNIT, 1)],
    )
    assert published.items is not None and published.items[0].length == 18
    assert published.summary is None
    with pytest.raises(ValidationError, match=r"related_codes.0"):
        catalog.ResourcePublished(
            resource_code=CODE, name="x", share_type="unconditional", update_cycle="daily", related_codes=["bad"]
        )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"effect": "occurrence"}, "count: an occurrence finding needs a count >= 1"),
        ({"effect": "occurrence", "count": 0}, "count"),
        ({"effect": "rate", "numerator": 3}, "numerator, denominator: a rate finding needs both"),
        ({"effect": "rate", "numerator": 3, "denominator": 2}, "numerator: 3 exceeds the denominator 2"),
        ({"effect": "holds", "count": 2}, "count: belongs to occurrence findings, not to holds"),
        ({"effect": "occurrence", "count": 1, "size": 3}, "size: belongs to achieved findings"),
        ({"effect": "occurrence", "count": 1, "item": "A1-2"}, "item"),
    ],
)
def test_finding_rules(fields: dict[str, object], message: str) -> None:
    base: dict[str, object] = {"finding_id": "f1", "item": "A1.2", "inspector": "insp-1"}
    with pytest.raises(ValidationError, match=message):
        scoring.FindingRecorded.model_validate({**base, **fields})


def test_valid_findings() -> None:
    rate = scoring.FindingRecorded(
        finding_id="f", item="B4.10", effect="rate", numerator=0, denominator=0, inspector="i"
    )
    assert (rate.numerator, rate.denominator, rate.note) == (0, 0, "")
    achieved = scoring.FindingRecorded(finding_id="f", item="E1.5", effect="achieved", size=3, inspector="i")
    assert achieved.size == 3
    attributed = scoring.FindingRecorded(
        finding_id="f", item="C2.2", effect="occurrence", count=2, attributed_unit=UNIT, inspector="i"
    )
    assert attributed.attributed_unit == UNIT
