"""The e-license library's use cases on an in-memory unit of work: pushes idempotent on the license
id, files judged by the verifier, revocation and claims said once, uses only by authorised units of
valid licenses. No database, no broker, no PDF toolkit."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from contracts.values import make_uscc
from elicense.domain import license_types
from elicense.domain.files import FileRejected, VerifiedFile
from elicense.domain.holders import HolderHasher
from elicense.domain.licenses import LicenseData
from elicense.service import commands as c
from elicense.service import handlers
from hubkit.auth import Principal, Role
from hubkit.problems import Problem

from .fakes import FakeElicenseUnitOfWork

AT = datetime(2019, 8, 5, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
ISSUER, WINDOW, OTHER = (make_uscc("450000", m) for m in ("MB151900", "MB152000", "MB152100"))
BUSINESS_LICENSE = "11100000MB0143028R001"  # 营业执照: held by organisations
TYPES = license_types.load()
HASHER = HolderHasher("unit-test-key")


def dept(unit: str) -> Principal:
    return Principal(f"department:{unit}", Role.department, unit=unit)


def data(license_id: str = "L-1", number: str = "91450000MA5K000001", **changes: object) -> LicenseData:
    fields: dict[str, object] = dict(license_id=license_id, license_type=BUSINESS_LICENSE, number=number,
                                     holder_name="广西某某有限公司", holder_id=make_uscc("450100", "MA5K0001"),
                                     issue_date=date(2019, 1, 2), issuing_authority="自治区市场监督管理局")
    return LicenseData(**(fields | changes))  # type: ignore[arg-type]


async def sealed_pdf(data: bytes, claimed: str | None) -> VerifiedFile:
    if data == b"not a pdf":
        raise FileRejected("the bytes are not a PDF")
    return VerifiedFile(format="pdf", sha256=f"sha-{len(data)}", size=len(data), sealed=True, signatures=(),
                        pages=1)


def push(lic: LicenseData, *, issuer: str = ISSUER, file: bytes | None = None,
         keep: bool = False) -> c.PushLicense:
    return c.PushLicense(actor=dept(issuer), issuer=issuer, license=lic, mode="auto_incremental", file=file,
                         file_format=None, keep_without_file=keep, at=AT)


def types(uow: FakeElicenseUnitOfWork) -> list[str]:
    return [e.type for e in uow.committed_events]


async def test_a_push_is_created_unchanged_or_updated_and_said_only_when_something_changed() -> None:
    uow = FakeElicenseUnitOfWork()
    outcomes = [(await handlers.push_license(cmd, uow, TYPES, HASHER, sealed_pdf)).outcome for cmd in (
        push(data()), push(data()), push(data(), file=b"%PDF-1.7 sealed"), push(data(), file=b"%PDF-1.7 sealed"),
        push(data(number="91450000MA5K000002")))]
    assert outcomes == ["created", "unchanged", "updated", "unchanged", "updated"]
    assert types(uow) == ["elicense.license-pushed"] * 3
    assert uow.committed_events[1].data.sealed is True  # type: ignore[attr-defined]
    assert all(e.unit == ISSUER for e in uow.committed_events)


async def test_a_bad_file_refuses_the_push_unless_the_license_may_go_without_it() -> None:
    uow = FakeElicenseUnitOfWork()
    with pytest.raises(Problem) as refused:
        await handlers.push_license(push(data(), file=b"not a pdf"), uow, TYPES, HASHER, sealed_pdf)
    assert refused.value.kind == "file-rejected" and not uow.licenses.licenses
    kept = await handlers.push_license(push(data(), file=b"not a pdf", keep=True), uow, TYPES, HASHER, sealed_pdf)
    assert (kept.outcome, kept.sealed, kept.file_refused) == ("created", False, "the bytes are not a PDF")


async def test_another_issuers_license_id_and_a_revoked_license_are_not_pushed() -> None:
    uow = FakeElicenseUnitOfWork()
    await handlers.push_license(push(data()), uow, TYPES, HASHER, sealed_pdf)
    with pytest.raises(Problem) as taken:
        await handlers.push_license(push(data(), issuer=OTHER), uow, TYPES, HASHER, sealed_pdf)
    assert taken.value.status == 409
    with pytest.raises(Problem) as foreign:
        await handlers.revoke_license(c.RevokeLicense(actor=dept(OTHER), license_id="L-1", reason="x", at=AT), uow)
    assert foreign.value.status == 403
    revoke = c.RevokeLicense(actor=dept(ISSUER), license_id="L-1", reason="吊销", at=AT)
    assert [await handlers.revoke_license(revoke, uow) for _ in range(2)] == [True, False]
    with pytest.raises(Problem) as revoked:
        await handlers.push_license(push(data(number="91450000MA5K000009")), uow, TYPES, HASHER, sealed_pdf)
    assert revoked.value.status == 409
    assert types(uow) == ["elicense.license-pushed", "elicense.license-revoked"]


async def test_a_claim_is_said_again_only_when_it_changed() -> None:
    uow = FakeElicenseUnitOfWork()
    claim = c.ClaimTypes(actor=dept(ISSUER), unit=ISSUER, license_types=(BUSINESS_LICENSE,),
                         stock={BUSINESS_LICENSE: 120}, at=AT)
    assert [(await handlers.claim_types(claim, uow, TYPES))["changed"] for _ in range(2)] == [True, False]
    with pytest.raises(Problem) as wrong:
        await handlers.claim_types(c.ClaimTypes(actor=dept(ISSUER), unit=ISSUER, license_types=("nope",),
                                                stock={BUSINESS_LICENSE: -1}, at=AT), uow, TYPES)
    assert wrong.value.status == 422 and "nope" in wrong.value.detail and "stock" in wrong.value.detail
    assert types(uow) == ["elicense.types-claimed"]


async def test_a_use_needs_the_issuers_authorisation_and_a_valid_license_and_counts_once() -> None:
    uow = FakeElicenseUnitOfWork()
    await handlers.push_license(push(data()), uow, TYPES, HASHER, sealed_pdf)
    await handlers.push_license(push(data("L-2", valid_until=date(2019, 6, 30))), uow, TYPES, HASHER, sealed_pdf)

    def use(license_id: str = "L-1", use_id: str = "u-1") -> c.RecordUse:
        return c.RecordUse(actor=dept(WINDOW), license_id=license_id, item="企业开办", waived_materials=2,
                           use_id=use_id, at=AT, today=AT.date())

    with pytest.raises(Problem) as unauthorised:
        await handlers.record_use(use(), uow)
    assert unauthorised.value.status == 403 and not uow.licenses.uses
    await handlers.grant_use(c.GrantUse(actor=dept(ISSUER), issuer=ISSUER, user_unit=WINDOW,
                                        license_types=(BUSINESS_LICENSE,), at=AT), uow)
    assert [(await handlers.record_use(use(), uow))["recorded"] for _ in range(2)] == [True, False]
    with pytest.raises(Problem) as expired:
        await handlers.record_use(use("L-2", "u-2"), uow)
    assert expired.value.kind == "license-not-valid"
    used = uow.committed_events[-1]
    assert used.type == "elicense.license-used" and used.unit == WINDOW
    assert used.data.issuer_unit == ISSUER  # type: ignore[attr-defined]
    await handlers.withdraw_use(c.WithdrawUse(actor=dept(ISSUER), issuer=ISSUER, user_unit=WINDOW, at=AT), uow)
    with pytest.raises(Problem) as withdrawn:
        await handlers.record_use(use(use_id="u-3"), uow)
    assert withdrawn.value.status == 403
    with pytest.raises(Problem) as not_theirs:  # only the issuer or the bureau authorises
        await handlers.grant_use(c.GrantUse(actor=dept(WINDOW), issuer=ISSUER, user_unit=WINDOW,
                                            license_types=None, at=AT), uow)
    assert not_theirs.value.status == 403


async def test_abnormal_data_goes_back_to_its_issuer_and_its_correction_is_timed() -> None:
    """Two licenses of one issuer and type with one number: the second is flagged; pushed again with its
    own number it is corrected, with the time it took. A license issued after the day it was pushed too."""
    from dataclasses import replace
    from datetime import timedelta

    uow = FakeElicenseUnitOfWork()
    await handlers.push_license(push(data("L-1")), uow, TYPES, HASHER, sealed_pdf)
    await handlers.push_license(push(data("L-2")), uow, TYPES, HASHER, sealed_pdf)  # L-1's number
    flagged = [e for e in uow.committed_events if e.type == "elicense.license-flagged"]
    assert [(e.data.license_id, [a.code for a in e.data.anomalies]) for e in flagged] == [  # type: ignore[attr-defined]
        ("L-2", ["duplicate-number"])]
    assert "also carried by L-1" in flagged[0].data.anomalies[0].detail  # type: ignore[attr-defined]
    await handlers.push_license(push(data("L-2")), uow, TYPES, HASHER, sealed_pdf)  # unchanged: nothing said
    later = replace(push(data("L-2", number="91450000MA5K000009")), at=AT + timedelta(hours=30))
    await handlers.push_license(later, uow, TYPES, HASHER, sealed_pdf)
    [corrected] = [e for e in uow.committed_events if e.type == "elicense.license-corrected"]
    assert (corrected.data.code, corrected.data.seconds_to_correct) == ("duplicate-number", 30 * 3600)  # type: ignore[attr-defined]
    assert [a["corrected_at"] for a in uow.licenses.anomalies] == [AT + timedelta(hours=30)]
    await handlers.push_license(push(data("L-3", number="91450000MA5K000003", issue_date=date(2019, 8, 6))), uow,
                                TYPES, HASHER, sealed_pdf)
    assert [a["code"] for a in uow.licenses.anomalies if a["license_id"] == "L-3"] == ["issued-in-the-future"]


def text_file(text: str | None) -> Any:
    async def verify(data: bytes, claimed: str | None) -> VerifiedFile:
        return VerifiedFile(format="pdf", sha256=f"sha-{data.hex()}", size=len(data), sealed=True, signatures=(),
                            pages=1, text=text)

    return verify


async def test_a_file_whose_text_shows_another_number_is_abnormal_until_the_right_file_comes() -> None:
    """Where the file's text can be read it must show the license's number (spaces and case aside); a push
    without a file, or a scan without text, leaves the finding as it is."""
    from dataclasses import replace
    from datetime import timedelta

    uow = FakeElicenseUnitOfWork()
    lic = data("F-1", number="91450000MA5K000001")
    await handlers.push_license(push(lic, file=b"\x01"), uow, TYPES, HASHER, text_file("营业执照 91450000MA5K000002"))
    [flagged] = [a for a in uow.licenses.anomalies if a["license_id"] == "F-1"]
    assert flagged["code"] == "file-mismatch" and "91450000MA5K000001" in flagged["detail"]
    renamed = replace(push(data("F-1", number="91450000MA5K000001", holder_name="广西某某股份有限公司")),
                      at=AT + timedelta(hours=1))
    await handlers.push_license(renamed, uow, TYPES, HASHER, text_file(None))  # no file: not judged
    scan = c.AttachFile(actor=dept(ISSUER), license_id="F-1", file=b"\x02", claimed_format=None, mode="manual",
                        at=AT + timedelta(hours=2))
    await handlers.attach_file(scan, uow, text_file(None))  # a scan without a text layer: not judged
    assert [a["corrected_at"] for a in uow.licenses.anomalies] == [None]
    right = replace(scan, file=b"\x03", at=AT + timedelta(hours=3))
    await handlers.attach_file(right, uow, text_file("编号：91450000 ma5k000001"))
    [corrected] = [e for e in uow.committed_events if e.type == "elicense.license-corrected"]
    assert (corrected.data.code, corrected.data.seconds_to_correct) == ("file-mismatch", 3 * 3600)  # type: ignore[attr-defined]
    wrong_again = replace(scan, file=b"\x04", at=AT + timedelta(hours=4))
    await handlers.attach_file(wrong_again, uow, text_file("营业执照 91450000MA5K000002"))
    assert [a["code"] for a in uow.licenses.anomalies if a["corrected_at"] is None] == ["file-mismatch"]
