"""E-license domain: the license-type list, holder ids (GB 11643), checks, and the fast event encoding."""

from __future__ import annotations

from datetime import UTC, date, datetime

import orjson
import pytest
from contracts import decode, new_envelope
from contracts.elicense import LicensePushed
from contracts.values import make_uscc
from elicense.domain import license_types
from elicense.domain.holders import HolderHasher, citizen_id_check_char, validate_citizen_id, validate_holder_id
from elicense.domain.licenses import LicenseData, LicenseInvalid, check, effective_status, parse_line
from elicense.messaging.events import stock_pushed_rows
from hypothesis import given
from hypothesis import strategies as st

TYPES = license_types.load()
BUSINESS = "11100000MB0143028R001"  # 营业执照
DRIVING = next(c for c, t in TYPES.items() if t.name == "机动车驾驶证")
HASHER = HolderHasher("test-key")


def citizen(first17: str) -> str:
    return first17 + citizen_id_check_char(first17)


def test_reference_list_has_the_common_types_with_valid_codes_and_sectors() -> None:
    assert len(TYPES) >= 50
    names = {t.name for t in TYPES.values()}
    for expected in ("营业执照", "食品经营许可证", "建筑业企业资质证书", "医师执业证书", "道路运输经营许可证"):
        assert expected in names
    assert len({t.sector for t in TYPES.values()}) >= 20
    assert TYPES[BUSINESS].holder_kind == "organisation" and TYPES[DRIVING].holder_kind == "person"


def test_a_malformed_reference_row_names_its_line(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "types.csv"
    path.write_text("code,name,sector,holder_kind\n11100000MB0143028R001,营业执照,市场监管,organisation\n"
                    "11100000MB0143028X002,坏,市场监管,organisation\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"types.csv:3: .*check"):
        license_types.load(path)


def test_citizen_id_check_character_follows_gb_11643() -> None:
    # The standard's worked example: 11010519491231002X.
    assert validate_citizen_id("11010519491231002x") == "11010519491231002X"
    with pytest.raises(ValueError, match="check character"):
        validate_citizen_id("110105194912310021")
    with pytest.raises(ValueError, match="birth date"):
        validate_citizen_id(citizen("11010519490231002"))
    with pytest.raises(ValueError, match="17 digits"):
        validate_citizen_id("11010519491231002")


@given(st.from_regex(r"[1-6][0-9]{5}(19[5-9][0-9]|200[0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}",
                     fullmatch=True), st.sampled_from("0123456789X"))
def test_exactly_one_check_character_is_accepted(first17: str, last: str) -> None:
    right = citizen_id_check_char(first17)
    if last == right:
        assert validate_citizen_id(first17 + last) == first17 + last
    else:
        with pytest.raises(ValueError):
            validate_citizen_id(first17 + last)


def test_holder_ids_follow_the_license_type() -> None:
    person, org = citizen("45010219800101123"), make_uscc("450100", "MA5KXXXX")
    assert validate_holder_id(person, "person") == person
    assert validate_holder_id(org, "organisation") == org
    assert validate_holder_id(person, "either") == person and validate_holder_id(org, "either") == org
    with pytest.raises(ValueError, match="unified social credit code"):
        validate_holder_id(person, "organisation")
    with pytest.raises(ValueError):
        validate_holder_id(org, "person")


def license_data(**over: object) -> LicenseData:
    base: dict[str, object] = dict(license_id="GX-YYZZ-0001", license_type=BUSINESS, number="91450100MA5K0001",
                                   holder_name="南宁市示例贸易有限公司", holder_id=make_uscc("450100", "MA5K0001"),
                                   issue_date=date(2019, 3, 1), issuing_authority="南宁市市场监督管理局")
    return LicenseData(**(base | over))  # type: ignore[arg-type]


def test_check_keeps_no_holder_id_only_its_keyed_hash_and_mask() -> None:
    data = license_data()
    lic = check(data, TYPES, HASHER)
    assert data.holder_id not in repr(lic)
    assert lic.holder_hash == HASHER.digest(data.holder_id) and len(lic.holder_hash) == 32
    assert lic.holder_mask.startswith(data.holder_id[:3]) and "*" in lic.holder_mask
    assert HolderHasher("another-key").digest(data.holder_id) != lic.holder_hash
    assert lic.valid_from == date(2019, 3, 1) and lic.status == "valid"



def test_the_fingerprint_changes_with_any_field_and_not_otherwise() -> None:
    a = check(license_data(), TYPES, HASHER)
    assert check(license_data(), TYPES, HASHER).fingerprint == a.fingerprint
    for change in ({"holder_name": "另一家公司"}, {"valid_until": date(2029, 3, 1)}, {"status": "revoked"},
                   {"number": "X2"}, {"issuing_authority": "广西壮族自治区市场监督管理局"}):
        assert check(license_data(**change), TYPES, HASHER).fingerprint != a.fingerprint, change


@pytest.mark.parametrize(("change", "reason"), [
    ({"license_type": "11100000MB0143028R999"}, "license_type: .* not a registered license type"),
    ({"holder_id": "91450100MA5K00010X"}, "holder_id: "),
    ({"license_id": "has space"}, "license_id: "),
    ({"valid_until": date(2019, 2, 1)}, "valid_until: before"),
    ({"number": "  "}, "number: must not be empty"),
])
def test_each_rule_names_its_field(change: dict[str, object], reason: str) -> None:
    with pytest.raises(LicenseInvalid, match=reason) as info:
        check(license_data(**change), TYPES, HASHER)
    assert make_uscc("450100", "MA5K0001") not in str(info.value)


def test_a_jsonl_line_is_parsed_strictly() -> None:
    line = orjson.dumps({"license_id": "a", "license_type": BUSINESS, "number": "n", "holder_name": "h",
                         "holder_id": "x", "issue_date": "2019-03-01", "issuing_authority": "q"})
    assert parse_line(line).issue_date == date(2019, 3, 1)
    with pytest.raises(LicenseInvalid, match=r"issue_date"):
        parse_line(line.replace(b"2019-03-01", b"2019-13-01"))
    with pytest.raises(LicenseInvalid, match="unknown field"):
        parse_line(line[:-1] + b',"colour":"red"}')
    with pytest.raises(LicenseInvalid, match="not a JSON object"):
        parse_line(b"{not json")


def test_expiry_is_read_from_the_date() -> None:
    assert effective_status("valid", date(2019, 8, 1), date(2019, 8, 1)) == "valid"
    assert effective_status("valid", date(2019, 8, 1), date(2019, 8, 2)) == "expired"
    assert effective_status("valid", None, date(2099, 1, 1)) == "valid"
    assert effective_status("revoked", None, date(2019, 1, 1)) == "revoked"


def test_stock_events_decode_to_what_new_envelope_makes() -> None:
    issuer, at = make_uscc("450000", "MB1A0001"), datetime(2019, 8, 5, 1, 0, tzinfo=UTC)
    rows = stock_pushed_rows(issuer, at, [("L-1", BUSINESS), ("L-2", DRIVING)])
    assert len({r[0] for r in rows}) == 2
    for (event_id, topic, key, payload), (lid, ltype) in zip(rows, [("L-1", BUSINESS), ("L-2", DRIVING)], strict=True):
        env = decode(payload)
        expected = new_envelope(LicensePushed(license_id=lid, license_type=ltype, push_mode="stock", file_format=None,
                                              sealed=False), unit=issuer, occurred_at=at, id=event_id)
        assert env == expected and topic == env.topic and key == issuer.encode()
