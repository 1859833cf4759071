"""Detached CMS SignedData over an OFD Signature.xml, validated with pyHanko like a PDF signature."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509

from elicense.adapters.seals.validation import required_key_usage, signature_check, validation_context
from elicense.domain.files import SignatureCheck


@dataclass(frozen=True)
class Signed:
    """A Signature.xml whose reference digests all match; its value is still to be checked."""

    sig_id: str
    xml: bytes  # the exact bytes of Signature.xml, what a CMS value signs
    value: bytes  # the SignedValue file
    sm2: bool  # SignatureMethod names a GM algorithm (1.2.156.10197.1.*)
    uncovered: tuple[str, ...]  # document root / page contents no reference covers


def is_cms(value: bytes) -> bool:
    from asn1crypto import cms

    try:
        info = cms.ContentInfo.load(value, strict=True)
        return bool(info["content_type"].native == "signed_data")
    except (ValueError, TypeError, KeyError):
        return False


async def check_cms(items: list[Signed], trust_roots: Sequence[x509.Certificate]) -> list[SignatureCheck]:
    """Each value: a detached CMS SignedData over the exact bytes of its Signature.xml."""
    from asn1crypto import cms
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms

    context, key_usage = validation_context(trust_roots), required_key_usage()
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
        checks.append(signature_check(item.sig_id, status, valid_problem=coverage))
    return checks
