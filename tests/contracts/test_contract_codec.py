"""encode/decode: bytes on the wire, strict validation, errors naming the field, upcasting."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

import orjson
import pytest
from contracts import (
    REGISTRY,
    ContractError,
    Envelope,
    Payload,
    Source,
    UnknownEventType,
    decode,
    encode,
    new_envelope,
    register_upcaster,
)
from contracts.catalog import ResourceMounted, ResourcePublished, ResourceUpdated
from contracts.event_types import UPCASTERS
from contracts.exchange import CallFailed, RequestRejected
from contracts.registry_events import UnitRegistered
from contracts.scoring import DeductionAlerted, ScoreChanged
from contracts.values import build_resource_code, make_uscc
from contracts.workdays import SHANGHAI
from hypothesis import given
from hypothesis import strategies as st
from pydantic import Field

from tests.contracts.contract_strategies import aware_datetimes, guangxi_divisions, serials, usccs

UNIT = make_uscc("450000", "MB151900")
CODE = build_resource_code("450000", UNIT, 7)
AT = datetime(2019, 8, 5, 10, 12, tzinfo=SHANGHAI)
ID = uuid.UUID("0190c0a1-6b3e-7c1e-9a55-3f2d4b1c8e01")


def mounted() -> Envelope:
    return new_envelope(ResourceMounted(resource_code=CODE, mount_kind="api"), unit=UNIT, occurred_at=AT, id=ID)


def test_encode_is_compact_ordered_json() -> None:
    assert encode(mounted()) == (
        b'{"id":"0190c0a1-6b3e-7c1e-9a55-3f2d4b1c8e01","type":"catalog.resource-mounted","version":1,'
        b'"source":"catalog","unit":"' + UNIT.encode() + b'","occurred_at":"2019-08-05T10:12:00+08:00",'
        b'"recorded_at":null,"data":{"resource_code":"' + CODE.encode() + b'","mount_kind":"api"}}'
    )


def test_encode_keeps_utf8_and_decimal_strings() -> None:
    env = new_envelope(
        ScoreChanged(unit=UNIT, month="2019-08", ruleset="gx-2019", ruleset_version=1, x=Decimal("87.5"),
                     y=Decimal("12.00"), total=Decimal("99.50"), band="very-high", list="red", position=42),
        unit=UNIT, occurred_at=AT,
    )
    data = orjson.loads(encode(env))["data"]
    assert (data["x"], data["y"], data["total"], data["previous_total"]) == ("87.50", "12.00", "99.50", None)
    assert decode(encode(env)).data == env.data
    name = new_envelope(UnitRegistered(name="自治区大数据发展局", kind="department", division_code="450000"),
                        unit=UNIT, occurred_at=AT)
    assert "自治区大数据发展局".encode() in encode(name)


def test_decimal2_refuses_floats_and_inexact_values() -> None:
    fields: dict[str, Any] = {"unit": UNIT, "month": "2019-08", "ruleset": "gx-2019", "ruleset_version": 1,
                              "y": Decimal("0.00"), "total": Decimal("1.00"), "band": "low", "list": "black",
                              "position": 1}
    for bad, message in [(87.5, "got float"), (Decimal("87.555"), "at most 2 decimals"), ("87.5", "2 decimals"),
                         (Decimal("-1.00"), "non-negative")]:
        with pytest.raises(ValueError, match=message):
            ScoreChanged(x=bad, **fields)
    with pytest.raises(ValueError, match=r"month\n  Value error, must be a month YYYY-MM"):
        ScoreChanged(x=Decimal(1), **{**fields, "month": "2019-13"})


def test_decode_round_trip_bytes_str_dict() -> None:
    env = mounted()
    raw = encode(env)
    assert decode(raw) == env
    assert decode(raw.decode()) == env
    assert decode(orjson.loads(raw)) == env
    assert decode(env.model_dump()) == env  # python objects (UUID, datetime) are accepted too
    assert encode(decode(raw)) == raw


def _mutate(**changes: Any) -> bytes:
    obj = orjson.loads(encode(mounted()))
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = obj
        for p in parents:
            target = target[p]
        if value is ...:
            del target[last]
        else:
            target[last] = value
    return orjson.dumps(obj)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (_mutate(unit="11450000MB1519000K"), "unit: check character should be 'C', got 'K'"),
        (_mutate(unit="11450000MB15190"), "unit: must be 18 characters, got 15"),
        (_mutate(occurred_at="2019-08-05T10:12:00"),
         "occurred_at: needs an RFC 3339 offset such as +08:00, got '2019-08-05T10:12:00'"),
        (_mutate(recorded_at="2019-08-05T10:12:00"), "recorded_at: needs an RFC 3339 offset"),
        (_mutate(occurred_at=1565000000), "occurred_at: Input should be a valid datetime"),
        (_mutate(data__resource_code="330045450000MB151900I000001"),
         "data.resource_code: unit mark (characters 13-21) 'MB151900I' has 'I'"),
        (_mutate(data__mount_kind="ftp"), "data.mount_kind: Input should be 'table', 'file' or 'api'"),
        (_mutate(data__mount_kind=...), "data.mount_kind: required"),
        (_mutate(data__extra=1), "data.extra: unknown field"),
        (_mutate(version="1"), "version: Input should be a valid integer"),
        (_mutate(id="not-a-uuid"), "id: Input should be a valid UUID"),
        (_mutate(source="exchange"), "source: catalog.resource-mounted is produced by 'catalog', got 'exchange'"),
        (_mutate(type=...), "type: required"),
        (_mutate(surprise=True), "surprise: unknown field"),
        (_mutate(version=9), "version: catalog.resource-mounted v9 is newer than this reader knows (v1)"),
        (_mutate(version=0), "version: no upcaster from catalog.resource-mounted v0 to v1"),
        (b"[]", "an envelope must be a JSON object, got list"),
        (b"\xff", "not valid UTF-8 JSON"),
    ],
)
def test_decode_errors_name_the_field(raw: bytes, reason: str) -> None:
    with pytest.raises(ContractError) as info:
        decode(raw)
    assert info.value.reason.startswith(reason), info.value.reason
    assert str(info.value) == info.value.reason
    assert isinstance(info.value, ValueError)


def test_decode_is_strict() -> None:
    # lax pydantic would turn "3" into 3 and "true" into True; a contract does not guess
    updated = new_envelope(ResourceUpdated(resource_code=CODE, records=3), unit=UNIT, occurred_at=AT)
    obj = orjson.loads(encode(updated))
    obj["data"]["records"] = "3"
    with pytest.raises(ContractError, match=r"data.records: Input should be a valid integer"):
        decode(orjson.dumps(obj))
    obj["data"]["records"] = 3.0
    with pytest.raises(ContractError, match=r"data.records"):
        decode(obj)


def test_unknown_type() -> None:
    with pytest.raises(UnknownEventType) as info:
        decode(_mutate(type="catalog.resource-renamed"))
    assert info.value.type == "catalog.resource-renamed"
    assert info.value.reason == "type: unknown event type 'catalog.resource-renamed'"
    assert isinstance(info.value, ContractError)


def test_several_errors_are_all_reported() -> None:
    with pytest.raises(ContractError) as info:
        decode(_mutate(unit="X", data__mount_kind="ftp"))
    assert info.value.reason.split("; ")[0] == "unit: must be 18 characters, got 1"
    assert info.value.reason.split("; ")[1].startswith("data.mount_kind:")


class ThingHappened(Payload):
    """A test-only event at version 2: v1 called `who` what v2 calls `actor`, and had no `weight`."""

    TYPE: ClassVar[str] = "scoring.thing-happened"
    VERSION: ClassVar[int] = 2
    SOURCE: ClassVar[Source] = "scoring"

    actor: str = Field(description="who did it")
    weight: int = Field(description="how much")


@pytest.fixture
def thing_type(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(REGISTRY, ThingHappened.TYPE, ThingHappened)
    yield
    UPCASTERS.pop((ThingHappened.TYPE, 1), None)


def test_upcaster_turns_old_version_into_latest_model(thing_type: None) -> None:
    @register_upcaster("scoring.thing-happened", 1)
    def v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
        return {"actor": data.pop("who"), "weight": 1}

    old = {"id": str(ID), "type": "scoring.thing-happened", "version": 1, "source": "scoring", "unit": UNIT,
           "occurred_at": "2019-08-05T10:12:00+08:00", "data": {"who": "inspector-7"}}
    env = decode(orjson.dumps(old))
    assert env.version == 2
    assert env.topic == "hub.scoring.thing-happened.v2"
    assert env.data == ThingHappened(actor="inspector-7", weight=1)
    assert old["data"] == {"who": "inspector-7"}  # the caller's dict is not modified
    # current messages pass straight through
    assert decode(encode(env)) == env
    # an old message the upcaster cannot read is a contract error, not a crash
    with pytest.raises(ContractError, match=r"data: upcasting scoring.thing-happened v1 to v2 failed: KeyError"):
        decode({**old, "data": {}})


def test_upcaster_registration_conflict(thing_type: None) -> None:
    register_upcaster("scoring.thing-happened", 1)(lambda d: d)
    with pytest.raises(ValueError, match="already registered"):
        register_upcaster("scoring.thing-happened", 1)(lambda d: d)


def test_a_missing_upcaster_is_reported(thing_type: None) -> None:
    old = {"id": str(ID), "type": "scoring.thing-happened", "version": 1, "source": "scoring", "unit": UNIT,
           "occurred_at": "2019-08-05T10:12:00+08:00", "data": {"who": "x"}}
    with pytest.raises(ContractError, match=r"version: no upcaster from scoring.thing-happened v1 to v2"):
        decode(old)


# --- property: any valid envelope survives encode/decode byte for byte --------------------------

codes = st.builds(build_resource_code, guangxi_divisions, usccs(), serials)
text = st.text(min_size=1, max_size=20)
payloads = st.one_of(
    st.builds(ResourceMounted, resource_code=codes, mount_kind=st.sampled_from(["table", "file", "api"])),
    st.builds(ResourceUpdated, resource_code=codes, records=st.none() | st.integers(0, 10**9)),
    st.builds(CallFailed, call_id=text, resource_code=codes, consumer_unit=usccs(),
              data_kind=st.sampled_from(["government", "supervision"]),
              error=st.sampled_from(["timeout", "unavailable", "server_error", "bad_response"])),
    st.builds(RequestRejected, request_id=text, data_kind=st.sampled_from(["government", "supervision"]),
              forwarded_at=aware_datetimes, reason=st.text(max_size=30)),
    st.builds(ResourcePublished, resource_code=codes, name=text,
              share_type=st.sampled_from(["unconditional", "conditional", "not_shared"]),
              update_cycle=st.sampled_from(["realtime", "daily", "monthly"]),
              summary=st.none() | st.text(max_size=40), publish_date=st.none() | st.dates(date(2000, 1, 1))),
    st.builds(DeductionAlerted, unit=usccs(), month=st.just("2019-08"), item=st.sampled_from(["B1.8", "C2.2"]),
              points_added=st.decimals(0, 100, places=2), item_points=st.decimals(0, 100, places=2),
              x=st.decimals(0, 100, places=2), total=st.decimals(0, 150, places=2),
              band=st.sampled_from(["very-high", "high", "medium", "low"]),
              list=st.sampled_from(["red", "black", "none"]), previous_band=st.just("high"),
              previous_list=st.just("none"), entered_black_list=st.booleans(), left_red_list=st.booleans(),
              cause_event_ids=st.lists(st.uuids(), min_size=1, max_size=3), ruleset=st.just("gx-2019")),
)


@given(payloads, usccs(), aware_datetimes, st.none() | aware_datetimes, st.uuids())
def test_encode_decode_round_trip(
    payload: Payload, unit: str, occurred: datetime, recorded: datetime | None, id: uuid.UUID
) -> None:
    env = new_envelope(payload, unit=unit, occurred_at=occurred, recorded_at=recorded, id=id)
    raw = encode(env)
    back = decode(raw)
    assert back == env
    assert encode(back) == raw
    assert type(back.data) is type(payload)


def test_decode_names_payload_code_fields() -> None:
    env = new_envelope(UnitRegistered(name="南宁市", kind="city", division_code="450100"), unit=UNIT, occurred_at=AT)
    obj = orjson.loads(encode(env))
    obj["data"]["division_code"] = "990100"
    with pytest.raises(ContractError) as info:
        decode(obj)
    assert info.value.reason == "data.division_code: '99' is not a province code"
    obj["data"].update(division_code="450100", kind="county", parent_unit="11450100MB1234567X")
    with pytest.raises(ContractError) as info:
        decode(obj)
    assert info.value.reason == "data.parent_unit: check character should be 'D', got 'X'"
