"""License files verified on ingest: the bytes decide the format and whether the file is sealed.

PDF: must start with `%PDF-` (within its first 1024 bytes, as readers allow) and parse with pypdf
with at least one page. Each embedded signature is validated with pyHanko, offline (no OCSP/CRL
fetching): *intact* (the signed byte ranges hash to the signed digest), *valid* (the CMS signature
checks with the signer's key), *trusted* (the signer's certificate chains to a configured
certificate of the unified e-seal authority, within its validity), and the changes made after
signing are at most form filling / further signatures (pyHanko's modification analysis). A signature
that fails any of these is reported with the reason.

OFD (GB/T 33190-2016): must be a ZIP with `OFD.xml` at its root, whose `DocBody` names a `DocRoot`
present in the package. If `DocBody` names a signature list (`Signatures`), each `Signature` entry's
`Signature.xml` is read: every `Reference` digest (`CheckMethod` SHA-256, or SM3 where the OpenSSL
build offers it) must match the referenced file, and the `SignedValue` must be a detached CMS
SignedData over the bytes of `Signature.xml`, validated with pyHanko like a PDF signature (valid,
trusted). A GM/T 0031 SES_Signature (SM2 with the seal image) is recognised but not verified: no
library available here validates SES structures, so such a signature counts as not valid. Not
verified for OFD: the page description itself (fonts, layout), and that the references cover every
file of the package (the signer decides what it signs, as in the standard).

Sealed = at least one signature is valid and trusted, and no signature present is broken. A file
that is not what it claims, or is not a well-formed PDF/OFD, raises FileRejected with the reason; a
well-formed file with a broken or foreign signature is accepted as not sealed.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import logging
import posixpath
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal
from xml.etree import ElementTree

from cryptography import x509
from cryptography.hazmat.primitives import serialization

# pyHanko logs a traceback for every untrusted signer; the reason is reported in SignatureCheck instead.
logging.getLogger("pyhanko").setLevel(logging.ERROR)
logging.getLogger("pyhanko_certvalidator").setLevel(logging.ERROR)

OFD_NS = "{http://www.ofdspec.org/2016}"
SHA256 = {"http://www.w3.org/2001/04/xmlenc#sha256", "sha256", "sha-256", "2.16.840.1.101.3.4.2.1"}
SM3 = {"1.2.156.10197.1.401", "sm3", "http://www.sca.gov.cn/sm3"}


@dataclass(frozen=True)
class SignatureCheck:
    field: str
    signer: str | None
    intact: bool
    trusted: bool
    valid: bool
    reason: str | None


@dataclass(frozen=True)
class VerifiedFile:
    format: Literal["pdf", "ofd"]
    sha256: str
    size: int
    sealed: bool
    signatures: tuple[SignatureCheck, ...]
    pages: int | None


class FileRejected(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sniff(data: bytes) -> Literal["pdf", "ofd"] | None:
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data[:4] == b"PK\x03\x04":
        return "ofd"
    return None


def verify_file(data: bytes, trust_roots: Sequence[x509.Certificate],
                claimed_format: str | None = None) -> VerifiedFile:
    if not data:
        raise FileRejected("the file is empty")
    kind = sniff(data)
    if kind is None:
        raise FileRejected("neither a PDF (no %PDF- header) nor an OFD package (not a ZIP)")
    if claimed_format is not None and claimed_format != kind:
        raise FileRejected(f"claimed {claimed_format} but the bytes are {'a PDF' if kind == 'pdf' else 'a ZIP (OFD)'}")
    checks, pages = _verify_pdf(data, trust_roots) if kind == "pdf" else _verify_ofd(data, trust_roots)
    sealed = any(c.valid for c in checks) and all(c.intact for c in checks)
    return VerifiedFile(kind, hashlib.sha256(data).hexdigest(), len(data), sealed, tuple(checks), pages)


def _context(trust_roots: Sequence[x509.Certificate]) -> Any:
    from asn1crypto import x509 as asn1_x509
    from pyhanko_certvalidator import ValidationContext

    roots = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in trust_roots]
    return ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")


def _signer(status: Any) -> str | None:
    cert = getattr(status, "signing_cert", None)
    return cert.subject.human_friendly if cert is not None else None


def _why(status: Any, trusted: bool) -> str | None:
    if not status.intact:
        return "the signed content was changed after signing"
    if not status.valid:
        return "the signature value does not verify with the signer's key"
    if not trusted:
        return "the signer's certificate does not chain to the unified e-seal authority"
    return None


# ── PDF ────────────────────────────────────────────────────────────────────────────────────────
def _verify_pdf(data: bytes, trust_roots: Sequence[x509.Certificate]) -> tuple[list[SignatureCheck], int]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        pages = len(PdfReader(io.BytesIO(data)).pages)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise FileRejected(f"not a readable PDF: {exc}") from None
    if pages < 1:
        raise FileRejected("the PDF has no page")
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature

    try:
        embedded = list(PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures)
    except (PdfError, ValueError, KeyError) as exc:
        raise FileRejected(f"the PDF's signature fields cannot be read: {exc}") from None
    checks = []
    for sig in embedded:
        name = sig.field_name or "signature"
        try:
            status = validate_pdf_signature(sig, _context(trust_roots))
        except Exception as exc:  # pyHanko raises many kinds on malformed signatures: report, don't crash
            checks.append(SignatureCheck(name, None, False, False, False, f"cannot be validated: {exc}"))
            continue
        trusted = bool(status.trusted)
        modified = status.modification_level is not None and status.modification_level.name not in (
            "NONE", "LTA_UPDATES", "FORM_FILLING")
        intact = bool(status.intact) and not modified
        valid = intact and bool(status.valid) and trusted
        reason = "the document was changed after signing beyond form filling" if modified and status.intact \
            else _why(status, trusted)
        checks.append(SignatureCheck(name, _signer(status), intact, trusted, valid, reason))
    return checks, pages


# ── OFD ────────────────────────────────────────────────────────────────────────────────────────
def _resolve(base_dir: str, loc: str) -> str:
    """OFD locations: absolute from the package root with a leading '/', else relative to the file naming them."""
    path = loc.strip().lstrip("/") if loc.strip().startswith("/") else posixpath.join(base_dir, loc.strip())
    return posixpath.normpath(path)


def _xml(z: zipfile.ZipFile, path: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(z.read(path))
    except KeyError:
        raise FileRejected(f"the package has no {path}") from None
    except ElementTree.ParseError as exc:
        raise FileRejected(f"{path} is not well-formed XML: {exc}") from None


def _text(el: ElementTree.Element, tag: str) -> str | None:
    found = el.find(f"{OFD_NS}{tag}")
    return found.text.strip() if found is not None and found.text else None


def _verify_ofd(data: bytes, trust_roots: Sequence[x509.Certificate]) -> tuple[list[SignatureCheck], int | None]:
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        names = set(z.namelist())
    except (zipfile.BadZipFile, ValueError):
        raise FileRejected("not a ZIP package (an OFD file is one)") from None
    if "OFD.xml" not in names:
        raise FileRejected("not an OFD package: OFD.xml is missing at its root")
    root = _xml(z, "OFD.xml")
    body = root.find(f"{OFD_NS}DocBody")
    if body is None:
        raise FileRejected("OFD.xml has no DocBody")
    doc_root = _text(body, "DocRoot")
    if not doc_root:
        raise FileRejected("OFD.xml's DocBody names no DocRoot")
    doc_path = _resolve("", doc_root)
    if doc_path not in names:
        raise FileRejected(f"the document root {doc_root} is not in the package")
    document = _xml(z, doc_path)
    pages_el = document.find(f"{OFD_NS}Pages")
    pages = len(pages_el.findall(f"{OFD_NS}Page")) if pages_el is not None else 0
    list_loc = _text(body, "Signatures")
    if not list_loc:
        return [], pages
    list_path = _resolve("", list_loc)
    signatures = _xml(z, list_path)
    checks = []
    for entry in signatures.findall(f"{OFD_NS}Signature"):
        sig_id = entry.get("ID") or "?"
        loc = entry.get("BaseLoc")
        if not loc:
            checks.append(SignatureCheck(sig_id, None, False, False, False, "the signature entry has no BaseLoc"))
            continue
        checks.append(_ofd_signature(z, names, sig_id, _resolve(posixpath.dirname(list_path), loc), trust_roots))
    return checks, pages


def _ofd_signature(z: zipfile.ZipFile, names: set[str], sig_id: str, path: str,
                   trust_roots: Sequence[x509.Certificate]) -> SignatureCheck:
    def broken(reason: str, signer: str | None = None, intact: bool = False) -> SignatureCheck:
        return SignatureCheck(sig_id, signer, intact, False, False, reason)

    if path not in names:
        return broken(f"{path} is not in the package")
    raw = z.read(path)
    try:
        sig = ElementTree.fromstring(raw)
    except ElementTree.ParseError as exc:
        return broken(f"{path} is not well-formed XML: {exc}")
    info = sig.find(f"{OFD_NS}SignedInfo")
    refs = info.find(f"{OFD_NS}References") if info is not None else None
    if refs is None or not refs.findall(f"{OFD_NS}Reference"):
        return broken("the signature references no file")
    method = (refs.get("CheckMethod") or "").strip().lower()
    for ref in refs.findall(f"{OFD_NS}Reference"):
        target = _resolve(posixpath.dirname(path), ref.get("FileRef") or "")
        expected = _text(ref, "CheckValue")
        if target not in names or not expected:
            return broken(f"reference {ref.get('FileRef')} is missing from the package or has no CheckValue")
        content = z.read(target)
        if method in SHA256:
            digest = hashlib.sha256(content).digest()
        elif method in SM3:
            try:
                digest = hashlib.new("sm3", content).digest()
            except ValueError:
                return broken("SM3 digests cannot be computed here (OpenSSL without SM3)")
        else:
            return broken(f"unknown CheckMethod {refs.get('CheckMethod')!r}")
        try:
            recorded = base64.b64decode(expected, validate=True)
        except ValueError:
            return broken(f"the CheckValue of {ref.get('FileRef')} is not base64")
        if recorded != digest:
            return broken(f"{target} was changed after signing (digest mismatch)")
    value_loc = _text(sig, "SignedValue")
    value_path = _resolve(posixpath.dirname(path), value_loc or "")
    if not value_loc or value_path not in names:
        return broken("the signature value (SignedValue) is missing", intact=True)
    return _cms_over(raw, z.read(value_path), sig_id, trust_roots)


def _cms_over(signed: bytes, value: bytes, sig_id: str, trust_roots: Sequence[x509.Certificate]) -> SignatureCheck:
    from asn1crypto import cms

    try:
        info = cms.ContentInfo.load(value)
        if info["content_type"].native != "signed_data":
            raise ValueError(info["content_type"].native)
        signed_data = info["content"]
        signed_data.native  # noqa: B018 - force a full parse: a SES structure fails here
    except Exception:
        return SignatureCheck(sig_id, None, True, False, False,
                              "SES/SM2 signature value (GM/T 0031) not verifiable here; only CMS SignedData is")
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms

    try:
        status = asyncio.run(async_validate_detached_cms(signed, signed_data,
                                                         signer_validation_context=_context(trust_roots)))
    except Exception as exc:
        return SignatureCheck(sig_id, None, False, False, False, f"cannot be validated: {exc}")
    trusted = bool(status.trusted)
    intact, valid = bool(status.intact), bool(status.intact and status.valid and trusted)
    return SignatureCheck(sig_id, _signer(status), intact, trusted, valid, _why(status, trusted))
