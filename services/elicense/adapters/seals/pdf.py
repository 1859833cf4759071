"""PDF signatures, validated with pyHanko offline (see the package's docstring for what is checked)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from cryptography import x509

from elicense.adapters.seals.validation import (
    required_key_usage,
    run_sync,
    signature_check,
    subject_of,
    validation_context,
)
from elicense.domain.files import FileRejected, SignatureCheck


def verify_pdf(data: bytes, trust_roots: Sequence[x509.Certificate]) -> tuple[list[SignatureCheck], int]:
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
    return run_sync(_pdf_signatures(embedded, sig_fields, trust_roots)), pages


async def _pdf_signatures(embedded: Iterable[Any], sig_fields: set[str], trust_roots: Sequence[x509.Certificate]
                          ) -> list[SignatureCheck]:
    from pyhanko.sign.validation import async_validate_pdf_signature

    context, key_usage = validation_context(trust_roots), required_key_usage()
    checks = []
    for sig in embedded:
        name = str(sig.field_name or "signature")
        try:
            status = await async_validate_pdf_signature(sig, context, key_usage_settings=key_usage)
        except Exception as exc:  # pyHanko raises many kinds on malformed signatures: report, don't crash
            try:
                signer = subject_of(sig.signer_cert)
            except Exception:
                signer = None
            checks.append(SignatureCheck(name, signer, False, False, False, f"cannot be validated: {exc}"))
            continue
        checks.append(signature_check(name, status, intact_problem=_pdf_change_problem(status, sig_fields)))
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


def pdf_text(data: bytes, max_pages: int = 3, limit: int = 20_000) -> str | None:
    """The text layer of the first pages (None: none can be read, e.g. a scan without one)."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        text = "\n".join(page.extract_text() or "" for page in reader.pages[:max_pages])
    except Exception:  # a damaged text layer only means the text cannot be read
        return None
    return text[:limit] if text.strip() else None
