"""Files verified on ingest, with real files made here: PDFs sealed by a test seal authority (valid, tampered,
changed after sealing, sealed twice, by a stranger, with an expired certificate, unsigned) and OFD packages
(valid, unsigned, altered, re-digested without re-signing, partly covered, SES value, by a stranger, and
malformed ones that are rejected)."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from elicense.adapters.seals import verify_file
from elicense.domain.files import FileRejected, VerifiedFile, sniff
from elicense.samples import (
    OFD_PAGE,
    SealAuthority,
    cms_sign,
    make_seal_authority,
    ofd_zip,
    sample_ofd,
    sample_pdf,
    seal_pdf,
    signed_pdf,
    tamper,
)
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

SIGNATURE_XML = "Doc_0/Signs/Sign_0/Signature.xml"
SIGNED_VALUE = "Doc_0/Signs/Sign_0/SignedValue.dat"


@pytest.fixture(scope="module")
def authority() -> SealAuthority:
    return make_seal_authority()


@pytest.fixture(scope="module")
def stranger() -> SealAuthority:
    return make_seal_authority("某非授权签章机构")


@pytest.fixture(scope="module")
def sealed(authority: SealAuthority) -> bytes:
    return signed_pdf(authority, ["营业执照", "南宁市示例商贸有限公司"])


def only(v: VerifiedFile) -> tuple[str, str | None, bool, bool, bool, str | None]:
    (sig,) = v.signatures
    return sig.field, sig.signer, sig.intact, sig.trusted, sig.valid, sig.reason


def incremental(pdf: bytes, change: Callable[[IncrementalPdfFileWriter], None]) -> bytes:
    """`pdf` with an incremental update appended by `change` (what a forger with a PDF editor does)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def package(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


# ── PDF ────────────────────────────────────────────────────────────────────────────────────────────
def test_a_pdf_sealed_by_the_authority_is_sealed(authority: SealAuthority, sealed: bytes) -> None:
    v = verify_file(sealed, [authority.cert], "pdf")
    assert (v.format, v.sealed, v.pages, v.size) == ("pdf", True, 1, len(sealed))
    assert v.sha256 == hashlib.sha256(sealed).hexdigest()
    field, signer, intact, trusted, valid, reason = only(v)
    assert (field, intact, trusted, valid, reason) == ("UnifiedSeal", True, True, True, None)
    assert signer == "CN=广西统一电子印章测试签发机构 电子印章,O=广西壮族自治区,C=CN"  # RFC 4514


def test_a_tampered_pdf_still_parses_but_is_not_sealed(authority: SealAuthority, sealed: bytes) -> None:
    v = verify_file(tamper(sealed), [authority.cert])
    _, _, intact, _, valid, reason = only(v)
    assert (v.format, v.sealed, v.pages, intact, valid) == ("pdf", False, 1, False, False)
    assert reason == "the signed content was changed after signing (digest mismatch)"


def test_page_content_changed_after_sealing_breaks_the_seal(authority: SealAuthority, sealed: bytes) -> None:
    def forge(w: IncrementalPdfFileWriter) -> None:
        page = w.root["/Pages"]["/Kids"][0].get_object()
        page["/Contents"] = w.add_object(generic.StreamObject(stream_data=b"BT /F1 16 Tf 72 770 Td (FORGED) Tj ET"))
        w.update_container(page)

    _, _, intact, _, valid, reason = only(verify_file(incremental(sealed, forge), [authority.cert]))
    assert (intact, valid, reason) == (False, False, "the document was changed after signing (content or structure)")


def test_a_text_field_filled_after_sealing_breaks_the_seal(authority: SealAuthority) -> None:
    def add_field(w: IncrementalPdfFileWriter) -> None:
        name = generic.NameObject
        page_ref = w.root["/Pages"]["/Kids"][0]
        field = w.add_object(generic.DictionaryObject({
            name("/FT"): name("/Tx"), name("/T"): generic.pdf_string("holder"),
            name("/V"): generic.pdf_string("Alice"), name("/Type"): name("/Annot"), name("/Subtype"): name("/Widget"),
            name("/P"): page_ref, name("/Rect"): generic.ArrayObject(map(generic.NumberObject, (72, 600, 300, 620)))}))
        page = page_ref.get_object()
        page["/Annots"] = generic.ArrayObject([field])
        w.update_container(page)
        w.root["/AcroForm"] = generic.DictionaryObject({name("/Fields"): generic.ArrayObject([field])})
        w.update_root()

    def fill(w: IncrementalPdfFileWriter) -> None:
        field = w.root["/AcroForm"]["/Fields"][0].get_object()
        field["/V"] = generic.pdf_string("Mallory")
        w.update_container(field)

    with_field = seal_pdf(authority, incremental(sample_pdf(["营业执照"]), add_field))
    assert verify_file(with_field, [authority.cert]).sealed is True
    v = verify_file(incremental(with_field, fill), [authority.cert])
    _, _, intact, _, valid, reason = only(v)
    assert (v.sealed, intact, valid) == (False, False, False)
    assert reason == "form fields were filled in after signing: holder"


def test_a_second_seal_keeps_the_first_valid(authority: SealAuthority, sealed: bytes) -> None:
    v = verify_file(seal_pdf(authority, sealed, "Countersign"), [authority.cert])
    assert v.sealed is True
    assert [(s.field, s.intact, s.valid) for s in v.signatures] == [("UnifiedSeal", True, True),
                                                                    ("Countersign", True, True)]


def test_a_seal_over_a_forged_revision_does_not_seal(authority: SealAuthority, sealed: bytes) -> None:
    def forge(w: IncrementalPdfFileWriter) -> None:
        page = w.root["/Pages"]["/Kids"][0].get_object()
        page["/Contents"] = w.add_object(generic.StreamObject(stream_data=b"BT /F1 16 Tf 72 770 Td (FORGED) Tj ET"))
        w.update_container(page)

    v = verify_file(seal_pdf(authority, incremental(sealed, forge), "Later"), [authority.cert])
    assert [(s.field, s.intact, s.valid) for s in v.signatures] == [("UnifiedSeal", False, False),
                                                                    ("Later", True, True)]
    assert v.sealed is False  # a valid seal does not make up for a broken one


def test_a_second_seal_by_a_stranger_is_reported_but_does_not_unseal(
        authority: SealAuthority, stranger: SealAuthority, sealed: bytes) -> None:
    v = verify_file(seal_pdf(stranger, sealed, "Other"), [authority.cert])
    assert v.sealed is True  # one valid seal, and the other is intact (only untrusted)
    assert [(s.field, s.intact, s.trusted, s.valid) for s in v.signatures] == [
        ("UnifiedSeal", True, True, True), ("Other", True, False, False)]


def test_a_pdf_sealed_by_a_stranger_is_not_trusted(authority: SealAuthority, stranger: SealAuthority) -> None:
    by_stranger = signed_pdf(stranger, ["营业执照"])
    v = verify_file(by_stranger, [authority.cert])
    _, signer, intact, trusted, valid, reason = only(v)
    assert (v.sealed, intact, trusted, valid) == (False, True, False, False)
    assert reason == "the signer's certificate does not chain to the unified e-seal authority"
    assert signer is not None and "某非授权签章机构" in signer
    assert verify_file(by_stranger, [authority.cert, stranger.cert]).sealed is True


def test_a_pdf_sealed_with_an_expired_certificate_is_not_trusted(authority: SealAuthority) -> None:
    old = make_seal_authority("过期测试签发机构", start=datetime.now(UTC) - timedelta(days=2000))
    v = verify_file(signed_pdf(old, ["营业执照"]), [old.cert])
    _, _, intact, trusted, _, reason = only(v)
    assert (v.sealed, intact, trusted) == (False, True, False)
    assert reason == "the signer's certificate (or one above it) is expired or not yet valid"


def test_an_unsigned_pdf_is_accepted_unsealed(authority: SealAuthority) -> None:
    v = verify_file(sample_pdf(["营业执照"]), [authority.cert])
    assert (v.format, v.sealed, v.signatures, v.pages) == ("pdf", False, (), 1)


def test_no_trust_roots_means_nothing_is_sealed(authority: SealAuthority, sealed: bytes) -> None:
    v = verify_file(sealed, [])
    assert v.sealed is False and only(v)[2:5] == (True, False, False)


def test_a_pdf_header_may_follow_whitespace_but_not_other_bytes(authority: SealAuthority) -> None:
    pdf = sample_pdf(["营业执照"])
    assert sniff(b"\r\n  " + pdf) == "pdf" and sniff(b" " * 1023 + b"%PDF-1.7") == "pdf"
    assert sniff(b" " * 1024 + b"%PDF-1.7") is None and sniff(b"junk%PDF-1.7") is None
    assert verify_file(b"\n\n" + pdf, [authority.cert]).pages == 1
    # pyHanko cannot read signatures behind such a prefix: accepted, not sealed.
    v = verify_file(b"\n" + seal_pdf(authority, pdf), [authority.cert])
    assert v.sealed is False and only(v)[0] == "signature" and "cannot be read" in (only(v)[5] or "")


async def test_verification_works_inside_a_running_event_loop(authority: SealAuthority, sealed: bytes) -> None:
    assert verify_file(sealed, [authority.cert]).sealed is True
    assert verify_file(sample_ofd("营业执照", signed_by=authority), [authority.cert]).sealed is True


# ── OFD ────────────────────────────────────────────────────────────────────────────────────────────
def test_a_signed_ofd_is_sealed_and_an_unsigned_one_is_not(authority: SealAuthority) -> None:
    v = verify_file(sample_ofd("营业执照", signed_by=authority), [authority.cert], "ofd")
    assert (v.format, v.sealed, v.pages) == ("ofd", True, 1)
    assert only(v) == ("1", "CN=广西统一电子印章测试签发机构 电子印章,O=广西壮族自治区,C=CN", True, True, True, None)
    u = verify_file(sample_ofd("营业执照"), [authority.cert], "OFD")
    assert (u.format, u.sealed, u.signatures, u.pages) == ("ofd", False, (), 1)


def test_an_ofd_whose_page_changed_after_signing_is_not_sealed(authority: SealAuthority) -> None:
    v = verify_file(sample_ofd("营业执照", signed_by=authority, alter_digest=True), [authority.cert])
    assert v.sealed is False
    assert only(v) == ("1", None, False, False, False, f"{OFD_PAGE} was changed after signing (digest mismatch)")


def test_redigesting_without_resigning_is_caught_by_the_signature_value(authority: SealAuthority) -> None:
    files = package(sample_ofd("营业执照", signed_by=authority))
    files[OFD_PAGE] = files[OFD_PAGE].replace("营业执照".encode(), "伪造执照".encode())
    new_digest = base64.b64encode(hashlib.sha256(files[OFD_PAGE]).digest())
    files[SIGNATURE_XML] = re.sub(rb'(Content.xml"><ofd:CheckValue>)[^<]+', rb"\g<1>" + new_digest,
                                  files[SIGNATURE_XML])
    assert new_digest in files[SIGNATURE_XML]
    v = verify_file(ofd_zip(files), [authority.cert])
    _, _, intact, _, valid, reason = only(v)
    assert (v.sealed, intact, valid) == (False, False, False)
    assert reason == "the signed content was changed after signing (digest mismatch)"


def test_an_ofd_signed_by_a_stranger_is_not_sealed(authority: SealAuthority, stranger: SealAuthority) -> None:
    v = verify_file(sample_ofd("营业执照", signed_by=stranger), [authority.cert])
    _, _, intact, trusted, valid, reason = only(v)
    assert (v.sealed, intact, trusted, valid) == (False, True, False, False)
    assert reason == "the signer's certificate does not chain to the unified e-seal authority"


def test_a_signature_that_does_not_cover_the_page_is_not_valid(authority: SealAuthority) -> None:
    v = verify_file(sample_ofd("营业执照", signed_by=authority, covers=("Doc_0/Document.xml",)), [authority.cert])
    _, _, intact, trusted, valid, reason = only(v)
    assert (v.sealed, intact, trusted, valid) == (False, True, True, False)
    assert reason == f"the signature does not cover {OFD_PAGE}"


def test_an_sm2_value_that_is_no_ses_signature_is_reported(authority: SealAuthority) -> None:
    files = package(sample_ofd("营业执照", signed_by=authority))
    files[SIGNATURE_XML] = files[SIGNATURE_XML].replace(b"1.2.840.10045.4.3.2", b"1.2.156.10197.1.501")
    files[SIGNED_VALUE] = bytes.fromhex("3082000a") + bytes.fromhex("06082a811ccf55018375")  # SES-like, SM2 OID
    v = verify_file(ofd_zip(files), [authority.cert])
    assert v.sealed is False
    assert only(v) == ("1", None, True, False, False,
                       "an SM2 signature value that is not a version 4 SES signature (GB/T 38540)")


def test_a_cms_value_over_other_bytes_is_not_intact(authority: SealAuthority) -> None:
    files = package(sample_ofd("营业执照", signed_by=authority))
    files[SIGNED_VALUE] = cms_sign(authority, b"something else")
    _, _, intact, _, valid, _ = only(verify_file(ofd_zip(files), [authority.cert]))
    assert (intact, valid) == (False, False)


def test_a_missing_signature_list_unseals_but_does_not_reject(authority: SealAuthority) -> None:
    v = verify_file(sample_ofd("营业执照", signed_by=authority, drop="Doc_0/Signs/Signatures.xml"), [authority.cert])
    assert (v.sealed, v.pages) == (False, 1)
    assert only(v) == ("Signatures", None, False, False, False,
                       "the signature list: Doc_0/Signs/Signatures.xml is not in the package")


def test_an_ambiguous_reference_is_not_intact(authority: SealAuthority) -> None:
    files = package(sample_ofd("营业执照", signed_by=authority))
    # Signatures.xml's BaseLoc "Sign_0/Signature.xml" is relative to Doc_0/Signs; a decoy at the root makes it
    # ambiguous for readers that resolve against the package root.
    files["Sign_0/Signature.xml"] = files[SIGNATURE_XML]
    v = verify_file(ofd_zip(files), [authority.cert])
    assert v.sealed is False and "is ambiguous" in (only(v)[5] or "")


@pytest.mark.parametrize(("make", "claimed", "reason"), [
    (lambda a: sample_ofd("x", drop="OFD.xml"), "ofd", "not an OFD package: OFD.xml is missing at its root"),
    (lambda a: sample_ofd("x", drop="Doc_0/Document.xml"), "ofd",
     "OFD.xml's DocRoot: Doc_0/Document.xml is not in the package"),
    (lambda a: sample_ofd("x", drop=OFD_PAGE), None, "page 1 of Doc_0/Document.xml: Pages/Page_0/Content.xml is not"),
    (lambda a: ofd_zip({**package(sample_ofd("x")), "OFD.xml": b"<OFD><DocBody/></OFD>"}), None,
     "OFD.xml's root element is OFD, not OFD in http://www.ofdspec.org/2016"),
    (lambda a: ofd_zip({**package(sample_ofd("x")), "OFD.xml": b"<ofd:OFD"}), None, "OFD.xml is not well-formed XML"),
    (lambda a: b"PK\x03\x04 this is no zip", "ofd", "not a ZIP package"),
    (lambda a: b"\x89PNG\r\n\x1a\n....", "ofd", "claimed ofd but the bytes are neither a PDF nor a ZIP package"),
    (lambda a: signed_pdf(a, ["x"]), "ofd", "claimed ofd but the bytes are a PDF"),
    (lambda a: sample_ofd("x"), "pdf", r"claimed pdf but the bytes are a ZIP package \(OFD\)"),
    (lambda a: sample_pdf(["x"]), "docx", "claimed docx but the bytes are a PDF"),
    (lambda a: bytes(range(256)) * 8, None, "neither a PDF"),
    (lambda a: b"%PDF-1.7\n%broken", "pdf", "not a readable PDF"),
    (lambda a: b"", None, "the file is empty"),
])
def test_files_that_are_not_what_they_claim_are_rejected_with_the_reason(
        authority: SealAuthority, make: Callable[[SealAuthority], bytes], claimed: str | None, reason: str) -> None:
    with pytest.raises(FileRejected, match=f"^{reason}") as caught:
        verify_file(make(authority), [authority.cert], claimed)
    assert caught.value.reason == str(caught.value)


def test_a_package_with_two_entries_of_the_same_name_is_rejected(authority: SealAuthority) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in package(sample_ofd("营业执照")).items():
            z.writestr(name, data)
        with pytest.warns(UserWarning, match="Duplicate name"):
            z.writestr(OFD_PAGE, b"<other/>")
    with pytest.raises(FileRejected, match="two entries with the same name"):
        verify_file(out.getvalue(), [authority.cert])


def test_sample_files_are_deterministic_when_unsigned() -> None:
    assert sample_pdf(["营业执照"]) == sample_pdf(["营业执照"])
    assert sample_ofd("营业执照 <&>") == sample_ofd("营业执照 <&>")
