"""Files verified on ingest, with real files made here: PDFs sealed by a test seal authority (valid,
tampered, by a stranger, unsigned) and OFD packages (valid, unsigned, altered, by a stranger,
missing OFD.xml, not a ZIP)."""

from __future__ import annotations

import pytest
from elicense.domain.files import FileRejected, verify_file
from elicense.samples import SealAuthority, make_seal_authority, sample_ofd, sample_pdf, signed_pdf, tamper


@pytest.fixture(scope="module")
def authority() -> SealAuthority:
    return make_seal_authority()


@pytest.fixture(scope="module")
def stranger() -> SealAuthority:
    return make_seal_authority("某非授权签章机构")


def test_a_pdf_sealed_by_the_authority_is_sealed(authority: SealAuthority) -> None:
    v = verify_file(signed_pdf(authority, ["营业执照"]), [authority.cert], "pdf")
    assert (v.format, v.sealed, v.pages) == ("pdf", True, 1)
    (sig,) = v.signatures
    assert sig.field == "UnifiedSeal" and sig.intact and sig.trusted and sig.valid and sig.reason is None
    assert sig.signer is not None and "电子印章" in sig.signer


def test_a_tampered_pdf_still_parses_but_is_not_sealed(authority: SealAuthority) -> None:
    v = verify_file(tamper(signed_pdf(authority, ["营业执照"])), [authority.cert])
    assert v.format == "pdf" and v.sealed is False
    assert not v.signatures[0].intact and "changed after signing" in (v.signatures[0].reason or "")


def test_a_pdf_sealed_by_a_stranger_is_not_trusted(authority: SealAuthority, stranger: SealAuthority) -> None:
    v = verify_file(signed_pdf(stranger, ["营业执照"]), [authority.cert])
    (sig,) = v.signatures
    assert v.sealed is False and sig.intact and not sig.trusted and not sig.valid
    assert "does not chain" in (sig.reason or "")
    assert verify_file(signed_pdf(stranger, ["营业执照"]), [stranger.cert]).sealed is True


def test_an_unsigned_pdf_is_accepted_unsealed(authority: SealAuthority) -> None:
    v = verify_file(sample_pdf(["营业执照"]), [authority.cert])
    assert (v.format, v.sealed, v.signatures, v.pages) == ("pdf", False, (), 1)


def test_no_trust_roots_means_nothing_is_sealed(authority: SealAuthority) -> None:
    assert verify_file(signed_pdf(authority, ["营业执照"]), []).sealed is False


def test_a_signed_ofd_is_sealed_and_an_unsigned_one_is_not(authority: SealAuthority) -> None:
    v = verify_file(sample_ofd("营业执照", signed_by=authority), [authority.cert], "ofd")
    assert (v.format, v.sealed, v.pages) == ("ofd", True, 1)
    assert v.signatures[0].field == "1" and v.signatures[0].valid
    u = verify_file(sample_ofd("营业执照"), [authority.cert])
    assert (u.format, u.sealed, u.signatures) == ("ofd", False, ())


def test_an_ofd_changed_after_signing_or_signed_by_a_stranger_is_not_sealed(
        authority: SealAuthority, stranger: SealAuthority) -> None:
    altered = verify_file(sample_ofd("营业执照", signed_by=authority, alter_digest=True), [authority.cert])
    assert altered.sealed is False and not altered.signatures[0].intact
    assert "Content.xml was changed after signing" in (altered.signatures[0].reason or "")
    foreign = verify_file(sample_ofd("营业执照", signed_by=stranger), [authority.cert])
    assert foreign.sealed is False and foreign.signatures[0].intact and not foreign.signatures[0].trusted


@pytest.mark.parametrize(("make", "claimed", "reason"), [
    (lambda a: sample_ofd("x", drop="OFD.xml"), "ofd", "OFD.xml is missing"),
    (lambda a: sample_ofd("x", drop="Doc_0/Document.xml"), "ofd", "document root Doc_0/Document.xml is not in"),
    (lambda a: b"PK\x03\x04 this is no zip", "ofd", "not a ZIP package"),
    (lambda a: signed_pdf(a, ["x"]), "ofd", "claimed ofd but the bytes are a PDF"),
    (lambda a: sample_ofd("x"), "pdf", "claimed pdf but the bytes are a ZIP"),
    (lambda a: b"\x89PNG\r\n\x1a\n....", None, "neither a PDF"),
    (lambda a: b"%PDF-1.7\n%broken", "pdf", "not a readable PDF"),
    (lambda a: b"", None, "empty"),
])
def test_files_that_are_not_what_they_claim_are_rejected_with_the_reason(
        authority: SealAuthority, make: object, claimed: str | None, reason: str) -> None:
    with pytest.raises(FileRejected, match=reason):
        verify_file(make(authority), [authority.cert], claimed)  # type: ignore[operator]


def test_the_digest_names_the_bytes(authority: SealAuthority) -> None:
    import hashlib

    data = sample_ofd("营业执照", signed_by=authority)
    v = verify_file(data, [authority.cert])
    assert v.sha256 == hashlib.sha256(data).hexdigest() and v.size == len(data)
