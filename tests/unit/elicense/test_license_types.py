"""The license-type registry (#19 part 2): a department proposes a type it issues, the bureau registers it
under a GB/T 36904 code in the department's range or returns it with reasons, a returned proposal is
resubmitted; a change of fields makes the next version; licenses and claims name registered types only,
and a license without a required field of its type is abnormal data."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from elicense.domain import license_types
from elicense.domain.license_types import FieldSpec, LicenseType, TypeInvalid, check_values
from elicense.service import commands as c
from elicense.service import handlers
from elicense.service import license_types as registry
from hubkit.auth import Principal, Role
from hubkit.problems import Problem

from .fakes import FakeElicenseUnitOfWork
from .test_handlers import HASHER, ISSUER, OTHER, data, dept, push, sealed_pdf

AT = datetime(2019, 8, 5, 9, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday
BUREAU = Principal("operator:bureau", Role.operator)
FIELDS = (FieldSpec("capital", "注册资本", "number", True), FieldSpec("founded", "成立日期", "date", True),
          FieldSpec("scope", "经营范围"))
BUSINESS_LICENSE = "11100000MB0143028R001"


def proposal(name: str = "自治区林木种子生产经营许可证", *, unit: str = ISSUER, change_of: str | None = None,
             fields: tuple[FieldSpec, ...] = FIELDS, holder_kind: str = "organisation") -> c.ProposeType:
    return c.ProposeType(actor=dept(unit), proposer=unit, name=name, sector="自治区林业局", holder_kind=holder_kind,
                         fields=fields, change_of=change_of, at=AT)


def review(proposal_id: str, *, register: bool = True, code: str | None = None, reason: str | None = None,
           field_reasons: dict[str, str] | None = None, by: Principal = BUREAU,
           at: datetime = AT + timedelta(days=1)) -> c.ReviewType:
    return c.ReviewType(actor=by, proposal_id=proposal_id, register=register, code=code, reason=reason,
                        field_reasons=field_reasons or {}, at=at)


async def current(reg: registry.TypeRegistry, uow: FakeElicenseUnitOfWork) -> dict[str, LicenseType]:
    return await reg.current(uow.types)


async def test_a_type_is_claimed_and_pushed_only_once_the_bureau_registered_it() -> None:
    uow, reg = FakeElicenseUnitOfWork(), registry.TypeRegistry(license_types.load())
    row = await registry.propose(proposal(), uow, await current(reg, uow))
    assert row.status == "proposed" and row.due_at == datetime(2019, 8, 13, tzinfo=ZoneInfo("Asia/Shanghai"))
    with pytest.raises(Problem) as unregistered:  # proposed is not registered
        await handlers.claim_types(c.ClaimTypes(actor=dept(ISSUER), unit=ISSUER, license_types=(
            f"{ISSUER}001",), stock=None, at=AT), uow, await current(reg, uow))
    assert unregistered.value.status == 422 and "not a registered license type" in str(unregistered.value.detail)
    with pytest.raises(Problem) as by_department:
        await registry.review(review(row.proposal_id, by=dept(ISSUER)), uow, await current(reg, uow))
    assert by_department.value.status == 403

    done = await registry.review(review(row.proposal_id), uow, await current(reg, uow))
    assert (done.status, done.code, done.version) == ("registered", f"{ISSUER}001", 1)  # the first in its range
    types = await current(reg, uow)
    assert types[f"{ISSUER}001"].fields == FIELDS and BUSINESS_LICENSE in types  # the reference list stays
    claimed = await handlers.claim_types(c.ClaimTypes(actor=dept(ISSUER), unit=ISSUER, license_types=(
        f"{ISSUER}001",), stock=None, at=AT), uow, types)
    assert claimed["license_types"] == [f"{ISSUER}001"]
    lic = data("F-1", license_type=f"{ISSUER}001", fields={"capital": "100.5", "founded": "2018-03-01"})
    pushed = await handlers.push_license(push(lic), uow, types, HASHER, sealed_pdf)
    assert pushed.outcome == "created"
    assert uow.licenses.licenses["F-1"]["fields"] == {"capital": "100.5", "founded": "2018-03-01"}
    assert [e.type for e in uow.committed_events][:2] == ["elicense.license-type-proposed",
                                                          "elicense.license-type-registered"]
    with pytest.raises(Problem) as twice:
        await registry.review(review(row.proposal_id), uow, types)
    assert twice.value.status == 409


async def test_a_return_gives_reasons_per_field_and_the_resubmission_is_reviewed_again() -> None:
    uow, reg = FakeElicenseUnitOfWork(), registry.TypeRegistry(license_types.load())
    row = await registry.propose(proposal(), uow, await current(reg, uow))
    for bad, why in [(review(row.proposal_id, register=False), "says why"),
                     (review(row.proposal_id, register=False, reason="x", field_reasons={"fields.colour": "y"}),
                      "not a part of the proposal"),
                     (review(row.proposal_id, register=False, reason="x", code=f"{ISSUER}001"), "assigns none")]:
        with pytest.raises(Problem) as refused:
            await registry.review(bad, uow, await current(reg, uow))
        assert refused.value.status == 422 and why in str(refused.value.detail)
    returned = await registry.review(review(row.proposal_id, register=False, reason="字段不全",
                                            field_reasons={"fields.scope": "经营范围应为必填"}), uow,
                                     await current(reg, uow))
    assert returned.status == "returned" and returned.field_reasons == {"fields.scope": "经营范围应为必填"}
    with pytest.raises(Problem) as stranger:
        await registry.resubmit(c.ResubmitType(actor=dept(OTHER), proposal_id=row.proposal_id, name=row.name,
                                               sector=row.sector, holder_kind="organisation", fields=FIELDS, at=AT),
                                uow)
    assert stranger.value.status == 403
    amended = (*FIELDS[:2], FieldSpec("scope", "经营范围", "text", True))
    again = await registry.resubmit(c.ResubmitType(actor=dept(ISSUER), proposal_id=row.proposal_id, name=row.name,
                                                   sector=row.sector, holder_kind="organisation", fields=amended,
                                                   at=AT + timedelta(days=2)), uow)
    assert (again.status, again.rounds, again.fields[2].required) == ("proposed", 2, True)
    proposed = [e for e in uow.committed_events if e.type == "elicense.license-type-proposed"]
    assert [e.data.round for e in proposed] == [1, 2]  # type: ignore[attr-defined]


async def test_codes_stay_in_the_proposers_range_and_a_name_is_registered_once() -> None:
    uow, reg = FakeElicenseUnitOfWork(), registry.TypeRegistry(license_types.load())
    first = await registry.propose(proposal("甲证"), uow, await current(reg, uow))
    second = await registry.propose(proposal("乙证"), uow, await current(reg, uow))
    for code, why in [(f"{OTHER}001", "not in the range"), (f"{ISSUER}01", "3-digit serial")]:
        with pytest.raises(Problem) as refused:
            await registry.review(review(first.proposal_id, code=code), uow, await current(reg, uow))
        assert refused.value.status == 422 and why in str(refused.value.detail)
    assert (await registry.review(review(first.proposal_id, code=f"{ISSUER}007"), uow,
                                  await current(reg, uow))).code == f"{ISSUER}007"
    with pytest.raises(Problem) as taken:
        await registry.review(review(second.proposal_id, code=f"{ISSUER}007"), uow, await current(reg, uow))
    assert taken.value.status == 422 and "registered already" in str(taken.value.detail)
    assert (await registry.review(review(second.proposal_id), uow, await current(reg, uow))).code == f"{ISSUER}001"
    with pytest.raises(Problem) as same_name:
        await registry.propose(proposal("营业执照"), uow, await current(reg, uow))
    assert same_name.value.status == 409 and BUSINESS_LICENSE in str(same_name.value.detail)
    twin = await registry.propose(proposal("丁证"), uow, await current(reg, uow))
    other = await registry.propose(replace(proposal("丁证"), actor=dept(OTHER), proposer=OTHER), uow,
                                   await current(reg, uow))  # proposed while the first is under review
    await registry.review(review(twin.proposal_id), uow, await current(reg, uow))
    with pytest.raises(Problem) as meanwhile:
        await registry.review(review(other.proposal_id), uow, await current(reg, uow))
    assert meanwhile.value.status == 409 and "meanwhile" in str(meanwhile.value.detail)
    with pytest.raises(Problem) as for_another:
        await registry.propose(replace(proposal("丙证"), proposer=OTHER), uow, await current(reg, uow))
    assert for_another.value.status == 403


async def test_a_change_of_fields_is_the_types_next_version_and_old_licenses_become_abnormal_when_pushed() -> None:
    uow, reg = FakeElicenseUnitOfWork(), registry.TypeRegistry(license_types.load())
    before = await current(reg, uow)
    await handlers.push_license(push(data("B-1")), uow, before, HASHER, sealed_pdf)
    with pytest.raises(Problem) as holders:
        await registry.propose(proposal("营业执照", change_of=BUSINESS_LICENSE, holder_kind="person"), uow, before)
    assert holders.value.status == 422
    change = await registry.propose(proposal("营业执照", change_of=BUSINESS_LICENSE), uow, before)
    with pytest.raises(Problem) as open_twice:
        await registry.propose(proposal("营业执照", change_of=BUSINESS_LICENSE), uow, before)
    assert open_twice.value.status == 409
    done = await registry.review(review(change.proposal_id), uow, before)
    assert (done.code, done.version) == (BUSINESS_LICENSE, 2)
    after = await current(reg, uow)
    assert after[BUSINESS_LICENSE].version == 2 and after[BUSINESS_LICENSE].fields == FIELDS
    # the same license pushed again (its data changed) is checked against version 2: two fields missing
    await handlers.push_license(push(data("B-1", holder_name="广西某某股份有限公司")), uow, after, HASHER, sealed_pdf)
    [anomaly] = [a for a in uow.licenses.anomalies if a["license_id"] == "B-1"]
    assert anomaly["code"] == "missing-field" and "capital, founded" in anomaly["detail"]
    carried = {"capital": "10", "founded": "2001-01-01"}
    fixed = replace(push(data("B-1", holder_name="广西某某股份有限公司", fields=carried)), at=AT + timedelta(hours=5))
    await handlers.push_license(fixed, uow, after, HASHER, sealed_pdf)
    [corrected] = [e for e in uow.committed_events if e.type == "elicense.license-corrected"]
    assert corrected.data.code == "missing-field" and corrected.data.seconds_to_correct == 5 * 3600  # type: ignore[attr-defined]


@pytest.mark.parametrize(("values", "why"), [
    ({"colour": "red"}, "not a field of license type"),
    ({"capital": "lots"}, "注册资本 is a number"),
    ({"capital": "NaN"}, "注册资本 is a number"),
    ({"founded": "2019-13-01"}, "成立日期 is a date"),
    ({"scope": "x" * 501}, "at most 500"),
])
def test_a_license_s_fields_are_its_type_s_and_of_their_kind(values: dict[str, str], why: str) -> None:
    kind = LicenseType(f"{ISSUER}001", "证", "局", "organisation", FIELDS, 1, "registered")
    with pytest.raises(TypeInvalid, match=why):
        check_values(values, kind)


def test_missing_required_fields_are_returned_not_refused() -> None:
    kind = LicenseType(f"{ISSUER}001", "证", "局", "organisation", FIELDS, 1, "registered")
    checked = check_values({"capital": " 12 ", "founded": "  "}, kind)
    assert checked.values == {"capital": "12"} and checked.missing == ("founded",)


def test_a_license_without_fields_keeps_the_fingerprint_it_had_before_types_had_fields() -> None:
    """Licenses stored before this change must not all count as changed when pushed again."""
    import hashlib

    from elicense.domain.licenses import check

    lic = check(data("L-1"), license_types.load(), HASHER)
    parts = [lic.license_type, lic.number, lic.holder_name, lic.holder_hash.hex(), lic.issue_date.isoformat(),
             lic.valid_from.isoformat(), "", lic.authority, lic.status]
    assert lic.fingerprint == hashlib.sha256("\x1f".join(parts).encode()).digest()
    assert date(2019, 1, 2) == lic.issue_date


async def test_the_bureau_names_a_real_department_when_it_proposes_for_one() -> None:
    """Found by schemathesis: a proposer that is no USCC made the event's envelope fail (a 500)."""
    uow, reg = FakeElicenseUnitOfWork(), registry.TypeRegistry(license_types.load())
    for proposer in ("", "not-a-uscc", ISSUER[:-1] + ("0" if ISSUER[-1] != "0" else "1")):
        with pytest.raises(Problem) as refused:
            await registry.propose(replace(proposal(), actor=BUREAU, proposer=proposer), uow,
                                   await current(reg, uow))
        assert refused.value.status == 422 and "proposer" in str(refused.value.detail)
    assert not uow.types.proposals and not uow.committed_events
