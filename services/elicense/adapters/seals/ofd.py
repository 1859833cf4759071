"""OFD packages (GB/T 33190-2016): structure, signature lists, references and their digests."""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import posixpath
import zipfile
from collections.abc import Sequence
from xml.etree import ElementTree

from cryptography import x509

from elicense.adapters.seals.cms import Signed, check_cms, is_cms
from elicense.adapters.seals.ses import check_ses, is_ses
from elicense.adapters.seals.sm2 import sm2_authorities, sm3
from elicense.adapters.seals.validation import run_sync
from elicense.domain.files import FileRejected, SignatureCheck

MAX_ENTRY_BYTES = 64 * 1024 * 1024  # a single OFD entry read into memory (guards against ZIP bombs)
OFD_NS = "{http://www.ofdspec.org/2016}"
SHA256 = frozenset({"http://www.w3.org/2001/04/xmlenc#sha256", "sha256", "sha-256", "2.16.840.1.101.3.4.2.1"})
SM3 = frozenset({"1.2.156.10197.1.401", "sm3", "http://www.sca.gov.cn/sm3"})
# DER of the SM2 OIDs (1.2.156.10197.1.301 SM2, 1.2.156.10197.1.501 SM2-with-SM3): their presence marks an SES value.
SM2_OIDS = (bytes.fromhex("06082a811ccf5501822d"), bytes.fromhex("06082a811ccf55018375"))


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


def verify_ofd(data: bytes, trust_roots: Sequence[x509.Certificate]) -> tuple[list[SignatureCheck], int]:
    pkg = _Package(data)
    documents = _documents(pkg)
    items: list[SignatureCheck | Signed] = []
    for body, doc_path, page_files in documents:
        list_loc = _text(body, "Signatures")
        if list_loc is not None:
            items.extend(_ofd_signature_list(pkg, list_loc, doc_path, {doc_path, *page_files}))
    return _judge(items, trust_roots), sum(len(page_files) for _, _, page_files in documents)


def ofd_text(data: bytes, max_pages: int = 3, limit: int = 20_000) -> str | None:
    """The text the first pages show (their TextCode elements; None: none can be read)."""
    try:
        pkg = _Package(data)
        paths = [path for _, _, pages in _documents(pkg) for path in pages][:max_pages]
        parts = []
        for path in paths:  # a page's BaseLoc is its content XML
            _, root = pkg.xml(path)
            parts += [el.text or "" for el in root.iter(_q("TextCode"))]
    except FileRejected:
        return None
    text = "\n".join(parts)
    return text[:limit] if text.strip() else None


def _documents(pkg: _Package) -> list[tuple[ElementTree.Element, str, list[str]]]:
    """Each document of the package: its DocBody, its path and its page files."""
    if "OFD.xml" not in pkg.entries:
        raise FileRejected("not an OFD package: OFD.xml is missing at its root")
    _, root = pkg.xml("OFD.xml")
    if root.tag != _q("OFD"):
        raise FileRejected(f"OFD.xml's root element is {root.tag}, not OFD in {OFD_NS[1:-1]}")
    bodies = root.findall(_q("DocBody"))
    if not bodies:
        raise FileRejected("OFD.xml has no DocBody")
    found = []
    for body in bodies:
        doc_path, why = pkg.resolve("", _text(body, "DocRoot"))
        if doc_path is None:
            raise FileRejected(f"OFD.xml's DocRoot: {why}")
        found.append((body, doc_path, _page_files(pkg, doc_path)))
    return found


def _judge(items: list[SignatureCheck | Signed], trust_roots: Sequence[x509.Certificate]) -> list[SignatureCheck]:
    """A check for each signature: broken ones as found, CMS values verified against the trust roots (all
    at once), SES values (GB/T 38540) against the SM2 seal authorities among them."""
    cms_items = [i for i in items if isinstance(i, Signed) and is_cms(i.value)]
    cms_checks = dict(zip(map(id, cms_items), run_sync(check_cms(cms_items, trust_roots)), strict=True)) \
        if cms_items else {}
    authorities = sm2_authorities(trust_roots)
    checks = []
    for item in items:
        if isinstance(item, SignatureCheck):
            checks.append(item)
        elif id(item) in cms_checks:
            checks.append(cms_checks[id(item)])
        elif is_ses(item.value):
            checks.append(check_ses(item, authorities))
        elif item.sm2 or any(oid in item.value for oid in SM2_OIDS):
            checks.append(SignatureCheck(item.sig_id, None, True, False, False,
                                         "an SM2 signature value that is not a version 4 SES signature (GB/T 38540)",
                                         kind="unknown"))
        else:
            checks.append(SignatureCheck(item.sig_id, None, True, False, False,
                                         "the signature value is neither CMS SignedData nor an SES signature",
                                         kind="unknown"))
    return checks


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


def _broken(sig_id: str, reason: str) -> SignatureCheck:
    return SignatureCheck(sig_id, None, False, False, False, reason)


def _ofd_signature_list(pkg: _Package, list_loc: str, doc_path: str, must_cover: set[str]
                        ) -> list[SignatureCheck | Signed]:
    """One document's signature list: a check for each broken signature, the others to verify."""
    list_path, why = pkg.resolve(posixpath.dirname(doc_path), list_loc)
    if list_path is None:
        return [_broken("Signatures", f"the signature list: {why}")]
    try:
        _, sig_list = pkg.xml(list_path)
    except FileRejected as exc:
        return [_broken("Signatures", exc.reason)]
    items: list[SignatureCheck | Signed] = []
    for entry in sig_list.findall(_q("Signature")):
        sig_id = entry.get("ID") or "?"
        path, why = pkg.resolve(posixpath.dirname(list_path), entry.get("BaseLoc"))
        items.append(_ofd_signature(pkg, sig_id, path, must_cover) if path is not None
                     else _broken(sig_id, f"the signature file: {why}"))
    return items


def _check_reference(pkg: _Package, base: str, ref: ElementTree.Element, digest: str) -> tuple[str | None, str]:
    """The file a Reference covers when its recorded digest matches the file's, else the problem."""
    target, why = pkg.resolve(base, ref.get("FileRef"))
    if target is None:
        return None, f"reference {ref.get('FileRef')!r}: {why}"
    try:
        recorded = base64.b64decode(_text(ref, "CheckValue") or "", validate=True)
    except (binascii.Error, ValueError):
        recorded = b""
    if not recorded:
        return None, f"reference {ref.get('FileRef')!r} has no base64 CheckValue"
    content = pkg.read(target)
    if (sm3(content) if digest == "sm3" else hashlib.sha256(content).digest()) != recorded:
        return None, f"{target} was changed after signing (digest mismatch)"
    return target, ""


def _ofd_signature(pkg: _Package, sig_id: str, path: str, must_cover: set[str]) -> SignatureCheck | Signed:
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
    covered = set()
    base = posixpath.dirname(path)
    for ref in references:
        target, problem = _check_reference(pkg, base, ref, "sha256" if method in SHA256 else "sm3")
        if target is None:
            return _broken(sig_id, problem)
        covered.add(target)
    value_path, why = pkg.resolve(base, _text(sig, "SignedValue"))
    if value_path is None:
        return _broken(sig_id, f"the signature value (SignedValue): {why}")
    sm2 = (_text(info, "SignatureMethod") or "").startswith("1.2.156.10197.1.")
    return Signed(sig_id, raw, pkg.read(value_path), sm2, tuple(sorted(must_cover - covered)))

