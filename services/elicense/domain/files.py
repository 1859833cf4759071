"""License files verified on ingest: the bytes decide the format, whether the file is accepted and whether it is sealed.

Format. A PDF starts with `%PDF-`, after at most 1023 bytes of whitespace; an OFD file (GB/T 33190-2016) is a
ZIP package. When the caller claims a format and the bytes are another (or neither), the file is rejected.

Accepted or rejected (FileRejected, with the reason). A PDF must parse with pypdf and have at least one page.
An OFD package must be a readable ZIP without duplicate entry names, with `OFD.xml` at its root
(namespace http://www.ofdspec.org/2016) naming in each `DocBody` a `DocRoot` present in the package, whose
`Document.xml` lists at least one page, every page's content file present. A well-formed file whose signatures
are broken, foreign or unverifiable is accepted, as not sealed: the structured license can still be used.

PDF signatures are validated with pyHanko, offline (no OCSP/CRL/AIA fetching, revocation soft-fail, time =
now). *intact*: the signed byte ranges hash to the signed digest, the signature covers its whole revision,
and whatever was appended after it is at most pyHanko's "LTA updates" (DSS, document timestamps) or "form
filling" limited to signature fields (further signatures), and is allowed by the document's DocMDP; any
other later change (page content, annotations, text form fields, structure) makes the signature not intact.
*trusted*: the signer's certificate chains, within its validity period, to one of the configured certificates
of the unified e-seal authority and has key usage digitalSignature or nonRepudiation. *valid*: intact, the
CMS signature value verifies with the signer's key, and trusted. A PDF with a /ByteRange that pyHanko cannot
read (e.g. whitespace before the header, which moves every signed offset) is accepted with one broken entry.

OFD signatures. `DocBody/Signatures` names the signature list (a leading '/' is from the package root; a
relative location is resolved against the naming file's folder, and, for producers that write root-relative
paths, the package root; a location that resolves to two different entries is refused as ambiguous). For each
`Signature` entry, its `Signature.xml` is read. *intact*: every `SignedInfo/References/Reference` digest
(`CheckMethod` SHA-256, or SM3 when the OpenSSL build offers it; anything else is not verifiable, hence not
intact) equals the base64 `CheckValue` of the referenced entry, and the signature value does not show
Signature.xml changed. The `SignedValue` must be a detached CMS SignedData (RSA or ECDSA, validated with
pyHanko like a PDF signature) over the exact bytes of `Signature.xml`, which holds the references and digests;
*trusted* and *valid* as for PDF, and in addition the references must cover the document root and every page
content file, or the signature is not valid. A GM/T 0031 SES_Signature (SM2, with the seal image) is
recognised and reported, intact per its digests, but not valid: no library available here verifies SES/SM2.
Not verified for OFD: files the signer did not reference (resources such as fonts and images, templates,
attachments), the page description itself, and the seal appearance.

Sealed = at least one signature is valid, and every signature present is intact.

Pure: no I/O besides the bytes given; the ZIP is read from memory. Callable from any thread (pyHanko's
coroutines run in a private event loop, in a helper thread when the caller's thread already runs one).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import io
import logging
import posixpath
import zipfile
from collections.abc import Coroutine, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from xml.etree import ElementTree

from cryptography import x509
from cryptography.hazmat.primitives import serialization

# pyHanko logs a traceback for every untrusted signer; the reason is reported in SignatureCheck instead.
logging.getLogger("pyhanko").setLevel(logging.ERROR)
logging.getLogger("pyhanko_certvalidator").setLevel(logging.ERROR)

Format = Literal["pdf", "ofd"]
T = TypeVar("T")

PDF_WHITESPACE = b"\x00\t\n\x0c\r "
HEADER_WINDOW = 1024
MAX_ENTRY_BYTES = 64 * 1024 * 1024  # a single OFD entry read into memory (guards against ZIP bombs)
OFD_NS = "{http://www.ofdspec.org/2016}"
SHA256 = frozenset({"http://www.w3.org/2001/04/xmlenc#sha256", "sha256", "sha-256", "2.16.840.1.101.3.4.2.1"})
SM3 = frozenset({"1.2.156.10197.1.401", "sm3", "http://www.sca.gov.cn/sm3"})
# DER of the SM2 OIDs (1.2.156.10197.1.301 SM2, 1.2.156.10197.1.501 SM2-with-SM3): their presence marks an SES value.
SM2_OIDS = (bytes.fromhex("06082a811ccf5501822d"), bytes.fromhex("06082a811ccf55018375"))


@dataclass(frozen=True)
class SignatureCheck:
    field: str  # PDF field name / OFD signature id
    signer: str | None  # signer certificate subject (RFC 4514) if found
    intact: bool  # the signed bytes/digests match (and, PDF, no disallowed change after signing)
    trusted: bool  # the signer certificate chains to one of the trust roots
    valid: bool  # intact, cryptographically valid and trusted
    reason: str | None  # why not valid


@dataclass(frozen=True)
class VerifiedFile:
    format: Format
    sha256: str
    size: int
    sealed: bool  # at least one signature valid, and every signature present intact
    signatures: tuple[SignatureCheck, ...]
    pages: int | None


class FileRejected(ValueError):
    """The file is not what it claims, or not a well-formed PDF/OFD; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sniff(data: bytes) -> Format | None:
    """The format the bytes are, from their first bytes only: "pdf", "ofd" (a ZIP) or None."""
    head = data[:HEADER_WINDOW]
    skipped = len(head) - len(head.lstrip(PDF_WHITESPACE))
    if skipped < HEADER_WINDOW and data.startswith(b"%PDF-", skipped):
        return "pdf"
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "ofd"
    return None


_WHAT = {"pdf": "a PDF", "ofd": "a ZIP package (OFD)", None: "neither a PDF nor a ZIP package"}


def verify_file(data: bytes, trust_roots: Sequence[x509.Certificate],
                claimed_format: str | None = None) -> VerifiedFile:
    """Decide the format from the bytes, check the file is well-formed and verify its signatures against
    `trust_roots` (the unified e-seal authority's certificates). Raises FileRejected with the reason."""
    if not data:
        raise FileRejected("the file is empty")
    kind = sniff(data)
    claimed = claimed_format.strip().lower() if claimed_format is not None else None
    if claimed is not None and claimed != kind:
        raise FileRejected(f"claimed {claimed} but the bytes are {_WHAT[kind]}")
    if kind is None:
        raise FileRejected("neither a PDF (no %PDF- header) nor an OFD package (not a ZIP package)")
    checks, pages = _verify_pdf(data, trust_roots) if kind == "pdf" else _verify_ofd(data, trust_roots)
    sealed = any(c.valid for c in checks) and all(c.intact for c in checks)
    return VerifiedFile(kind, hashlib.sha256(data).hexdigest(), len(data), sealed, tuple(checks), pages)


# ── shared: pyHanko's validation context, results, event loop ─────────────────────────────────────
def _context(trust_roots: Sequence[x509.Certificate]) -> Any:
    from asn1crypto import x509 as asn1_x509
    from pyhanko_certvalidator import ValidationContext

    roots = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in trust_roots]
    return ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")


def _key_usage() -> Any:
    from pyhanko.sign.validation.settings import KeyUsageConstraints

    return KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run pyHanko's coroutine to completion from synchronous code, whether or not this thread runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(1) as worker:
        return worker.submit(asyncio.run, coro).result()


def _subject(cert: Any) -> str | None:
    """RFC 4514 subject of an asn1crypto certificate (None when there is none)."""
    if cert is None:
        return None
    try:
        return x509.load_der_x509_certificate(cert.dump()).subject.rfc4514_string()
    except ValueError:
        return str(cert.subject.human_friendly)


def _untrusted_reason(status: Any) -> str:
    indic = getattr(status, "trust_problem_indic", None)
    name = getattr(indic, "name", "")
    if name in ("OUT_OF_BOUNDS_NO_POE", "OUT_OF_BOUNDS_NOT_REVOKED", "EXPIRED", "NOT_YET_VALID"):
        return "the signer's certificate (or one above it) is expired or not yet valid"
    if name.startswith("REVOKED"):
        return "the signer's certificate is revoked"
    if name == "SIG_CONSTRAINTS_FAILURE":
        return "the signer's certificate is not for signing (key usage digitalSignature/nonRepudiation)"
    if name in ("NO_CERTIFICATE_CHAIN_FOUND", "CHAIN_CONSTRAINTS_FAILURE", "CERTIFICATE_CHAIN_GENERAL_FAILURE", ""):
        return "the signer's certificate does not chain to the unified e-seal authority"
    return f"the signer's certificate is not trusted ({name})"


def _check(field: str, status: Any, intact_problem: str | None = None, valid_problem: str | None = None
           ) -> SignatureCheck:
    """A SignatureCheck from a pyHanko status, with our own integrity/validity findings on top."""
    trusted = bool(status.trusted)
    intact = bool(status.intact) and intact_problem is None
    valid = intact and bool(status.valid) and trusted and valid_problem is None
    if not status.intact:
        reason: str | None = "the signed content was changed after signing (digest mismatch)"
    elif intact_problem is not None:
        reason = intact_problem
    elif not status.valid:
        reason = "the signature value does not verify with the signer's key"
    elif not trusted:
        reason = _untrusted_reason(status)
    else:
        reason = valid_problem
    return SignatureCheck(field, _subject(getattr(status, "signing_cert", None)), intact, trusted, valid, reason)


# ── PDF ────────────────────────────────────────────────────────────────────────────────────────────
def _verify_pdf(data: bytes, trust_roots: Sequence[x509.Certificate]) -> tuple[list[SignatureCheck], int]:
    from pypdf import PdfReader

    try:
        pages = len(PdfReader(io.BytesIO(data)).pages)
    except Exception as exc:  # pypdf raises many kinds on malformed input; all mean "not a readable PDF"
        raise FileRejected(f"not a readable PDF: {exc or type(exc).__name__}") from None
    if pages < 1:
        raise FileRejected("the PDF has no page")
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
        sig_fields = {name for name, _, _ in enumerate_sig_fields(reader)} if embedded else set()
    except Exception as exc:  # e.g. whitespace before the header, which pypdf accepts and pyHanko does not
        if b"/ByteRange" not in data:
            return [], pages
        # pypdf reads the document, so it is accepted; its signatures cannot be checked, so it is not sealed.
        why = f"the PDF's signatures cannot be read: {exc or type(exc).__name__}"
        return [SignatureCheck("signature", None, False, False, False, why)], pages
    if not embedded:
        return [], pages
    return _run(_pdf_signatures(embedded, sig_fields, trust_roots)), pages


async def _pdf_signatures(embedded: Iterable[Any], sig_fields: set[str], trust_roots: Sequence[x509.Certificate]
                          ) -> list[SignatureCheck]:
    from pyhanko.sign.validation import async_validate_pdf_signature

    context, key_usage = _context(trust_roots), _key_usage()
    checks = []
    for sig in embedded:
        name = str(sig.field_name or "signature")
        try:
            status = await async_validate_pdf_signature(sig, context, key_usage_settings=key_usage)
        except Exception as exc:  # pyHanko raises many kinds on malformed signatures: report, don't crash
            try:
                signer = _subject(sig.signer_cert)
            except Exception:
                signer = None
            checks.append(SignatureCheck(name, signer, False, False, False, f"cannot be validated: {exc}"))
            continue
        checks.append(_check(name, status, intact_problem=_pdf_change_problem(status, sig_fields)))
    return checks


def _pdf_change_problem(status: Any, sig_fields: set[str]) -> str | None:
    """Why what was appended after this signature is not allowed, or None when it is. Allowed: nothing,
    LTA updates (DSS, document timestamps), and form filling that touched signature fields only (further
    signatures), within the document's DocMDP permissions."""
    from pyhanko.sign.diff_analysis import DiffResult, ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    if status.coverage is not None and status.coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        return "the signature does not cover its whole revision (nonstandard byte range)"
    level = status.modification_level
    if level is None:
        return "the changes made after signing could not be analysed"
    if level == ModificationLevel.FORM_FILLING:
        changed = status.diff_result.changed_form_fields if isinstance(status.diff_result, DiffResult) else set()
        filled = sorted(set(changed) - sig_fields)
        if filled:
            return f"form fields were filled in after signing: {', '.join(filled)}"
    elif level == ModificationLevel.ANNOTATIONS:
        return "annotations were added or changed after signing"
    elif level not in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES):
        return "the document was changed after signing (content or structure)"
    if status.docmdp_ok is False:
        return f"the document was changed after signing beyond what its certification permits ({level.name})"
    return None


# ── OFD ────────────────────────────────────────────────────────────────────────────────────────────
def _q(tag: str) -> str:
    return f"{OFD_NS}{tag}"


def _text(el: ElementTree.Element, tag: str) -> str | None:
    found = el.find(_q(tag))
    return found.text.strip() if found is not None and found.text and found.text.strip() else None


class _Package:
    """The ZIP entries of an OFD package, read from memory, with OFD's location rules."""

    def __init__(self, data: bytes) -> None:
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
            raise FileRejected("not a ZIP package (an OFD file is one)") from None
        self.entries = {i.filename: i for i in infos if not i.is_dir()}
        if len(self.entries) != sum(1 for i in infos if not i.is_dir()):
            raise FileRejected("the ZIP package holds two entries with the same name")

    def resolve(self, base_dir: str, loc: str | None) -> tuple[str | None, str | None]:
        """(path, None) for the one entry `loc` names, relative to `base_dir` (or from the root with a
        leading '/', or root-relative as many producers write); else (None, why)."""
        loc = (loc or "").strip()
        if not loc:
            return None, "an empty location"
        if loc.startswith("/"):
            candidates = {posixpath.normpath(loc.lstrip("/"))}
        else:
            candidates = {posixpath.normpath(posixpath.join(base_dir, loc)), posixpath.normpath(loc)}
        found = sorted(c for c in candidates if c in self.entries)
        if not found:
            return None, f"{loc} is not in the package"
        if len(found) > 1:
            return None, f"{loc} is ambiguous ({' or '.join(found)})"
        return found[0], None

    def read(self, path: str) -> bytes:
        info = self.entries[path]
        if info.file_size > MAX_ENTRY_BYTES:
            raise FileRejected(f"{path} is too large ({info.file_size} bytes uncompressed)")
        try:
            return self.zip.read(info)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, OSError, ValueError) as exc:
            raise FileRejected(f"{path} cannot be read from the package: {exc}") from None

    def xml(self, path: str) -> tuple[bytes, ElementTree.Element]:
        raw = self.read(path)
        try:
            return raw, ElementTree.fromstring(raw)
        except ElementTree.ParseError as exc:
            raise FileRejected(f"{path} is not well-formed XML: {exc}") from None


def _verify_ofd(data: bytes, trust_roots: Sequence[x509.Certificate]) -> tuple[list[SignatureCheck], int]:
    pkg = _Package(data)
    if "OFD.xml" not in pkg.entries:
        raise FileRejected("not an OFD package: OFD.xml is missing at its root")
    _, root = pkg.xml("OFD.xml")
    if root.tag != _q("OFD"):
        raise FileRejected(f"OFD.xml's root element is {root.tag}, not OFD in {OFD_NS[1:-1]}")
    bodies = root.findall(_q("DocBody"))
    if not bodies:
        raise FileRejected("OFD.xml has no DocBody")
    pages, found = 0, []
    for body in bodies:
        doc_path, why = pkg.resolve("", _text(body, "DocRoot"))
        if doc_path is None:
            raise FileRejected(f"OFD.xml's DocRoot: {why}")
        page_files = _page_files(pkg, doc_path)
        pages += len(page_files)
        found.append((body, doc_path, page_files))
    items: list[SignatureCheck | _Signed] = []
    for body, doc_path, page_files in found:
        list_loc = _text(body, "Signatures")
        if list_loc is not None:
            items.extend(_ofd_signature_list(pkg, list_loc, doc_path, {doc_path, *page_files}))
    cms_items = [i for i in items if isinstance(i, _Signed) and _is_cms(i.value)]
    cms_checks = dict(zip(map(id, cms_items), _run(_cms_checks(cms_items, trust_roots)), strict=True)) \
        if cms_items else {}
    checks = []
    for item in items:
        if isinstance(item, SignatureCheck):
            checks.append(item)
        elif id(item) in cms_checks:
            checks.append(cms_checks[id(item)])
        elif item.sm2 or any(oid in item.value for oid in SM2_OIDS):
            checks.append(SignatureCheck(item.sig_id, None, True, False, False,
                                         "SES/SM2 signature value (GM/T 0031) not verifiable here"))
        else:
            checks.append(SignatureCheck(item.sig_id, None, True, False, False,
                                         "the signature value is neither CMS SignedData nor an SES signature"))
    return checks, pages


def _page_files(pkg: _Package, doc_path: str) -> list[str]:
    _, document = pkg.xml(doc_path)
    pages_el = document.find(_q("Pages"))
    page_els = pages_el.findall(_q("Page")) if pages_el is not None else []
    if not page_els:
        raise FileRejected(f"the document {doc_path} has no page")
    files = []
    for page in page_els:
        path, why = pkg.resolve(posixpath.dirname(doc_path), page.get("BaseLoc"))
        if path is None:
            raise FileRejected(f"page {page.get('ID') or '?'} of {doc_path}: {why}")
        files.append(path)
    return files


@dataclass(frozen=True)
class _Signed:
    """A Signature.xml whose reference digests all match; its value is still to be checked."""

    sig_id: str
    xml: bytes  # the exact bytes of Signature.xml, what a CMS value signs
    value: bytes  # the SignedValue file
    sm2: bool  # SignatureMethod names a GM algorithm (1.2.156.10197.1.*)
    uncovered: tuple[str, ...]  # document root / page contents no reference covers


def _broken(sig_id: str, reason: str) -> SignatureCheck:
    return SignatureCheck(sig_id, None, False, False, False, reason)


def _ofd_signature_list(pkg: _Package, list_loc: str, doc_path: str, must_cover: set[str]
                        ) -> list[SignatureCheck | _Signed]:
    """One document's signature list: a check for each broken signature, the others to verify."""
    list_path, why = pkg.resolve(posixpath.dirname(doc_path), list_loc)
    if list_path is None:
        return [_broken("Signatures", f"the signature list: {why}")]
    try:
        _, sig_list = pkg.xml(list_path)
    except FileRejected as exc:
        return [_broken("Signatures", exc.reason)]
    items: list[SignatureCheck | _Signed] = []
    for entry in sig_list.findall(_q("Signature")):
        sig_id = entry.get("ID") or "?"
        path, why = pkg.resolve(posixpath.dirname(list_path), entry.get("BaseLoc"))
        items.append(_ofd_signature(pkg, sig_id, path, must_cover) if path is not None
                     else _broken(sig_id, f"the signature file: {why}"))
    return items


def _ofd_signature(pkg: _Package, sig_id: str, path: str, must_cover: set[str]) -> SignatureCheck | _Signed:
    """Check one Signature.xml's reference digests."""
    try:
        raw, sig = pkg.xml(path)
    except FileRejected as exc:
        return _broken(sig_id, exc.reason)
    info = sig.find(_q("SignedInfo"))
    refs = info.find(_q("References")) if info is not None else None
    references = refs.findall(_q("Reference")) if refs is not None else []
    if info is None or refs is None or not references:
        return _broken(sig_id, "the signature references no file")
    method = (refs.get("CheckMethod") or "").strip().lower()
    if method not in SHA256 and method not in SM3:
        return _broken(sig_id, f"unknown CheckMethod {refs.get('CheckMethod')!r}: the digests cannot be checked")
    if method in SM3 and "sm3" not in hashlib.algorithms_available:
        return _broken(sig_id, "SM3 digests cannot be computed here (OpenSSL without SM3)")
    covered = set()
    base = posixpath.dirname(path)
    for ref in references:
        target, why = pkg.resolve(base, ref.get("FileRef"))
        if target is None:
            return _broken(sig_id, f"reference {ref.get('FileRef')!r}: {why}")
        try:
            recorded = base64.b64decode(_text(ref, "CheckValue") or "", validate=True)
        except (binascii.Error, ValueError):
            recorded = b""
        if not recorded:
            return _broken(sig_id, f"reference {ref.get('FileRef')!r} has no base64 CheckValue")
        if hashlib.new("sha256" if method in SHA256 else "sm3", pkg.read(target)).digest() != recorded:
            return _broken(sig_id, f"{target} was changed after signing (digest mismatch)")
        covered.add(target)
    value_path, why = pkg.resolve(base, _text(sig, "SignedValue"))
    if value_path is None:
        return _broken(sig_id, f"the signature value (SignedValue): {why}")
    sm2 = (_text(info, "SignatureMethod") or "").startswith("1.2.156.10197.1.")
    return _Signed(sig_id, raw, pkg.read(value_path), sm2, tuple(sorted(must_cover - covered)))


def _is_cms(value: bytes) -> bool:
    from asn1crypto import cms

    try:
        info = cms.ContentInfo.load(value, strict=True)
        return bool(info["content_type"].native == "signed_data")
    except (ValueError, TypeError, KeyError):
        return False


async def _cms_checks(items: list[_Signed], trust_roots: Sequence[x509.Certificate]) -> list[SignatureCheck]:
    """Each value: a detached CMS SignedData over the exact bytes of its Signature.xml."""
    from asn1crypto import cms
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms

    context, key_usage = _context(trust_roots), _key_usage()
    checks = []
    for item in items:
        try:
            signed_data = cms.ContentInfo.load(item.value)["content"]
            status = await async_validate_detached_cms(item.xml, signed_data, signer_validation_context=context,
                                                       key_usage_settings=key_usage)
        except Exception as exc:  # unsupported algorithm (e.g. SM2 in CMS), malformed SignedData, ...
            # The reference digests matched; what fails is the value: intact, but not valid.
            checks.append(SignatureCheck(item.sig_id, None, True, False, False,
                                         f"the CMS signature value cannot be validated: {exc or type(exc).__name__}"))
            continue
        coverage = f"the signature does not cover {', '.join(item.uncovered)}" if item.uncovered else None
        checks.append(_check(item.sig_id, status, valid_problem=coverage))
    return checks
