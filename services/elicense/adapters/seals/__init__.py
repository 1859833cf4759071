"""License files verified on ingest (the adapter behind the handlers' `FileVerifier`): the bytes decide
the format, whether the file is accepted and whether it is sealed.

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
(`CheckMethod` SHA-256 or SM3; anything else is not verifiable, hence not intact) equals the base64
`CheckValue` of the referenced entry, and the signature value does not show Signature.xml changed. The
`SignedValue` is either a detached CMS SignedData (RSA or ECDSA, validated with pyHanko like a PDF signature)
over the exact bytes of `Signature.xml`, which holds the references and digests, or a GB/T 38540 (GM/T 0031
version 4) SES_Signature verified with SM2/SM3 against the SM2 authorities among the trust roots (ses.py says
exactly what is checked); *trusted* and *valid* as for PDF, and in addition the references must cover the
document root and every page content file, or the signature is not valid. An SM2 value that is no version 4
SES_Signature is reported, not valid.
Not verified for OFD: files the signer did not reference (resources such as fonts and images, templates,
attachments), the page description itself, and the seal appearance.

Sealed = at least one signature is valid, and every signature present is intact.

Pure: no I/O besides the bytes given; the ZIP is read from memory. Callable from any thread (pyHanko's
coroutines run in a private event loop, in a helper thread when the caller's thread already runs one).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from cryptography import x509

from elicense.adapters.seals.ofd import ofd_text, verify_ofd
from elicense.adapters.seals.pdf import pdf_text, verify_pdf
from elicense.domain.files import FileRejected, VerifiedFile, sniff

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
    checks, pages = verify_pdf(data, trust_roots) if kind == "pdf" else verify_ofd(data, trust_roots)
    sealed = any(c.valid for c in checks) and all(c.intact for c in checks)
    text = pdf_text(data) if kind == "pdf" else ofd_text(data)  # to check it against the license's data
    return VerifiedFile(kind, hashlib.sha256(data).hexdigest(), len(data), sealed, tuple(checks), pages, text)


__all__ = ["verify_file"]
