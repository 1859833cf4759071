"""The replay's fast decoder accepts and rejects exactly what contracts.decode does."""

from __future__ import annotations

import copy
import json
from typing import Any

import msgspec
import pytest
from contracts import ContractError
from contracts import decode as contract_decode
from contracts.fastdecode import PAYLOADS, DecodeError, decode

from tests.scoring.builders import CITY, DEPT, Log, code, sample_log

VALID = sample_log().events


def _mutate(index: int, path: str, value: Any) -> dict[str, Any]:
    env = copy.deepcopy(VALID[index])
    *parents, last = path.split(".")
    target = env
    for p in parents:
        target = target[p]
    if value is _DROP:
        del target[last]
    else:
        target[last] = value
    return env


_DROP = object()
_FINDING = next(
    i for i, e in enumerate(VALID) if e["type"] == "scoring.finding-recorded" and e["data"]["effect"] == "rate"
)
_FAILED = next(i for i, e in enumerate(VALID) if e["type"] == "exchange.call-failed")
_REG = next(i for i, e in enumerate(VALID) if e["type"] == "registry.unit-registered")


def _bad_check_char(unit: str) -> str:
    return unit[:-1] + ("0" if unit[-1] != "0" else "1")


INVALID = {
    "bad USCC check character": _mutate(_FAILED, "unit", _bad_check_char(VALID[_FAILED]["unit"])),
    "bad USCC in data": _mutate(_FAILED, "data.consumer_unit", _bad_check_char(DEPT)),
    "missing offset": _mutate(_FAILED, "occurred_at", "2019-08-05T10:00:00"),
    "unknown type": _mutate(_FAILED, "type", "exchange.call-exploded"),
    "wrong enum": _mutate(_FAILED, "data.error", "gremlins"),
    "wrong data kind": _mutate(_FAILED, "data.data_kind", "secret"),
    "unknown field": _mutate(_FAILED, "data.extra", 1),
    "unknown envelope field": _mutate(_FAILED, "colour", "red"),
    "wrong source": _mutate(_FAILED, "source", "catalog"),
    "missing id": _mutate(_FAILED, "id", _DROP),
    "bad uuid": _mutate(_FAILED, "id", "not-a-uuid"),
    "bad resource code": _mutate(_FAILED, "data.resource_code", "330045450000AAAAAAAAI000001"),
    "string for int": _mutate(_FINDING, "data.numerator", "3"),
    "rate above one": _mutate(_FINDING, "data.numerator", 11),
    "field of another effect": _mutate(_FINDING, "data.count", 2),
    "county without city": _mutate(_REG, "data.kind", "county"),
    "bad division": _mutate(_REG, "data.division_code", "990000"),
    "empty inspector": _mutate(_FINDING, "data.inspector", ""),
}


def _contract_accepts(line: str) -> bool:
    try:
        contract_decode(line)
    except ContractError:
        return False
    return True


@pytest.mark.parametrize("env", VALID, ids=[f"{n}-{e['type']}" for n, e in enumerate(VALID)])
def test_valid_samples_decode_the_same(env: dict[str, Any]) -> None:
    line = json.dumps(env, ensure_ascii=False)
    fast, slow = decode(line), contract_decode(line)
    assert isinstance(fast, msgspec.Struct), "mirrored types must take the fast path"
    assert (fast.id, fast.type, fast.unit, fast.occurred_at) == (slow.id, slow.type, slow.unit, slow.occurred_at)
    assert msgspec.to_builtins(fast.data) == slow.data.model_dump(mode="json")


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_samples_are_rejected_by_both(name: str) -> None:
    line = json.dumps(INVALID[name], ensure_ascii=False)
    assert not _contract_accepts(line)
    with pytest.raises(DecodeError) as err:
        decode(line)
    assert err.value.args[0]  # contracts' reason, naming the field


def test_bad_check_character_reason_names_the_field() -> None:
    with pytest.raises(DecodeError, match="unit"):
        decode(json.dumps(INVALID["bad USCC check character"]))


def test_unmirrored_types_are_validated_by_contracts() -> None:
    log = Log()
    env = log.add("catalog.resource-unmounted", DEPT, "2019-08-01 10:00", resource_code=code(DEPT, 1), reason=None)
    assert decode(json.dumps(env)).type == "catalog.resource-unmounted"
    env["data"]["bogus"] = 1
    with pytest.raises(DecodeError):
        decode(json.dumps(env))


def test_every_mirrored_type_is_a_contract_type() -> None:
    from contracts import REGISTRY

    assert set(PAYLOADS) <= set(REGISTRY)
    for name, (source, _) in PAYLOADS.items():
        assert REGISTRY[name].SOURCE == source and REGISTRY[name].VERSION == 1


def test_not_json() -> None:
    with pytest.raises(DecodeError):
        decode(b"{not json")
    assert CITY  # the builders' codes are valid USCCs


# --- the mirror, field by field, generated from the models ----------------------------------------

# Fields whose pattern the fast path checks after msgspec, with contracts' own validators.
_POST_CHECKED = {"resource_code", "resource_codes", "related_codes", "division_code"}


def _resolve(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict) and "$ref" in node:
        return _resolve(defs[node["$ref"].split("/")[-1]], defs)
    return node


def _shape(node: Any, defs: dict[str, Any], drop_pattern: bool) -> frozenset[Any]:
    """A field's JSON Schema reduced to what decides acceptance: the alternatives' type, enum,
    bounds, pattern and item shape (titles, descriptions and enum order do not matter)."""
    node = _resolve(node, defs)
    shapes = set()
    for alt in node.get("anyOf") or [node]:
        alt = _resolve(alt, defs)
        enum = frozenset(alt["enum"]) if "enum" in alt else frozenset([alt["const"]]) if "const" in alt else None
        type_ = alt.get("type") or ("string" if enum and all(isinstance(e, str) for e in enum) else None)
        items = _shape(alt["items"], defs, drop_pattern) if "items" in alt else None
        pattern = None if drop_pattern else alt.get("pattern")
        shapes.add((type_, enum, alt.get("minimum"), alt.get("maximum"), alt.get("minLength"), alt.get("minItems"),
                    pattern, items, alt.get("format")))
    return frozenset(shapes)


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_every_mirrored_field_accepts_what_the_model_accepts(name: str) -> None:
    """Same fields, same required ones, same types, enums and bounds; a pattern the model has and
    the struct lacks only on fields checked after msgspec by contracts' validators."""
    from contracts import REGISTRY
    from contracts.fastdecode import _USCC_FIELDS

    model = REGISTRY[name].model_json_schema()
    struct_type = PAYLOADS[name][1]
    struct = msgspec.json.schema(struct_type)
    mdefs, sdefs = model.get("$defs", {}), struct.get("$defs", {})
    struct = _resolve(struct, sdefs)
    assert set(struct["properties"]) == set(model["properties"])
    assert set(struct.get("required", [])) == set(model.get("required", []))
    post_checked = _POST_CHECKED | set(_USCC_FIELDS.get(struct_type, ()))
    for field_name, field_schema in model["properties"].items():
        drop = field_name in post_checked
        assert _shape(struct["properties"][field_name], sdefs, drop) == _shape(field_schema, mdefs, drop), field_name


def test_every_uscc_field_of_a_mirrored_model_is_post_checked() -> None:
    """A model field with the USCC pattern must be in _USCC_FIELDS, or the fast path would let
    any string through it."""
    from contracts import REGISTRY
    from contracts.fastdecode import _USCC_FIELDS

    for name, (_, struct_type) in PAYLOADS.items():
        schema = REGISTRY[name].model_json_schema()
        uscc = {f for f, s in schema["properties"].items() if "{10}$" in json.dumps(s)}
        assert uscc <= set(_USCC_FIELDS.get(struct_type, ())), name
