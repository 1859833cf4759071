"""pyHanko's validation context, its results as SignatureChecks, and its coroutines run from any thread."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from elicense.domain.files import SignatureCheck

# pyHanko logs a traceback for every untrusted signer; the reason is reported in SignatureCheck instead.
logging.getLogger("pyhanko").setLevel(logging.ERROR)
logging.getLogger("pyhanko_certvalidator").setLevel(logging.ERROR)

T = TypeVar("T")


def validation_context(trust_roots: Sequence[x509.Certificate]) -> Any:
    from asn1crypto import x509 as asn1_x509
    from pyhanko_certvalidator import ValidationContext

    from elicense.adapters.seals.sm2 import is_sm2_certificate

    ders = [c.public_bytes(serialization.Encoding.DER) for c in trust_roots]
    roots = [asn1_x509.Certificate.load(d) for d in ders if not is_sm2_certificate(d)]  # SM2: SES only
    return ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")


def required_key_usage() -> Any:
    from pyhanko.sign.validation.settings import KeyUsageConstraints

    return KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False)


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run pyHanko's coroutine to completion from synchronous code, whether or not this thread runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(1) as worker:
        return worker.submit(asyncio.run, coro).result()


def subject_of(cert: Any) -> str | None:
    """RFC 4514 subject of an asn1crypto certificate (None when there is none)."""
    if cert is None:
        return None
    try:
        return x509.load_der_x509_certificate(cert.dump()).subject.rfc4514_string()
    except ValueError:
        return str(cert.subject.human_friendly)


def untrusted_reason(status: Any) -> str:
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


def signature_check(field: str, status: Any, intact_problem: str | None = None, valid_problem: str | None = None
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
        reason = untrusted_reason(status)
    else:
        reason = valid_problem
    return SignatureCheck(field, subject_of(getattr(status, "signing_cert", None)), intact, trusted, valid, reason)

