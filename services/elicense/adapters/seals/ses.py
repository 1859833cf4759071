"""National electronic seals in OFD files: the SES_Signature of GM/T 0031-2014 / GB/T 38540-2020 (version 4),
verified with SM2/SM3, and built (for the demo's and the tests' seal authority).

    SES_Signature ::= SEQUENCE { toSign TBS_Sign, cert OCTET STRING (the signer's certificate),
                                 signatureAlgID OBJECT IDENTIFIER, signature BIT STRING,
                                 timeStamp [0] EXPLICIT BIT STRING OPTIONAL }
    TBS_Sign      ::= SEQUENCE { version INTEGER (4), eseal SESeal, timeInfo GeneralizedTime,
                                 dataHash BIT STRING (SM3 of the signed file: the Signature.xml),
                                 propertyInfo IA5String, extDatas [0] EXPLICIT ... OPTIONAL }
    SESeal        ::= SEQUENCE { eSealInfo SES_SealInfo, cert OCTET STRING (the seal maker's certificate),
                                 signAlgID OBJECT IDENTIFIER, signedValue BIT STRING }
    SES_SealInfo  ::= SEQUENCE { header SES_Header, esID IA5String, property SES_ESPropertyInfo,
                                 picture SES_ESPictrueInfo, extDatas ... OPTIONAL }
    SES_ESPropertyInfo ::= SEQUENCE { type INTEGER, name UTF8String, certListType INTEGER (1: certificates),
                                 certList SEQUENCE OF OCTET STRING, createDate, validStart, validEnd GeneralizedTime }

A seal signature is valid here when: the value parses; `dataHash` is the SM3 digest of the exact
Signature.xml bytes (else the file was changed: not intact); the signer's SM2 signature over the DER of
`toSign` verifies with the key of `cert`; the seal maker's SM2 signature over the DER of
SEQUENCE{eSealInfo, cert, signAlgID} verifies; both certificates were issued by a configured SM2 seal
authority and were within their validity at the signing time; the signing time is within the seal's
validity; the signer's certificate is one the seal lists (the seal is the signer's to use); and the
Signature.xml references cover the document root and every page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from asn1crypto import core
from asn1crypto import x509 as ax

from elicense.adapters.seals.cms import Signed
from elicense.adapters.seals.sm2 import SM2_WITH_SM3, NotSm2, Sm2Key, issued_by, public_key_of, sm3
from elicense.domain.files import SignatureCheck


class Header(core.Sequence):
    _fields: ClassVar[list[Any]] = [("id", core.IA5String), ("version", core.Integer), ("vid", core.IA5String)]


class Picture(core.Sequence):
    _fields: ClassVar[list[Any]] = [("type", core.IA5String), ("data", core.OctetString), ("width", core.Integer),
               ("height", core.Integer)]


class CertList(core.SequenceOf):
    _child_spec: ClassVar[Any] = core.OctetString


class Property(core.Sequence):
    _fields: ClassVar[list[Any]] = [("type", core.Integer), ("name", core.UTF8String), ("cert_list_type", core.Integer),
               ("cert_list", CertList), ("create_date", core.GeneralizedTime),
               ("valid_start", core.GeneralizedTime), ("valid_end", core.GeneralizedTime)]


class SealInfo(core.Sequence):
    _fields: ClassVar[list[Any]] = [
        ("header", Header), ("es_id", core.IA5String), ("property", Property), ("picture", Picture),
        ("ext_datas", core.Any, {"optional": True})]


class SESeal(core.Sequence):
    _fields: ClassVar[list[Any]] = [
        ("seal_info", SealInfo), ("cert", core.OctetString), ("sign_alg_id", core.ObjectIdentifier),
        ("signed_value", core.OctetBitString)]


class TbsSign(core.Sequence):
    _fields: ClassVar[list[Any]] = [("version", core.Integer), ("eseal", SESeal), ("time_info", core.GeneralizedTime),
               ("data_hash", core.OctetBitString), ("property_info", core.IA5String),
               ("ext_datas", core.Any, {"explicit": 0, "optional": True})]


class SesSignature(core.Sequence):
    _fields: ClassVar[list[Any]] = [
        ("to_sign", TbsSign), ("cert", core.OctetString), ("signature_alg_id", core.ObjectIdentifier),
        ("signature", core.OctetBitString), ("time_stamp", core.OctetBitString, {"explicit": 0, "optional": True})]


class _MakerSigned(core.Sequence):
    """What the seal maker signs: the seal information with the maker's certificate and algorithm."""

    _fields: ClassVar[list[Any]] = [
        ("seal_info", SealInfo), ("cert", core.OctetString), ("sign_alg_id", core.ObjectIdentifier)]


class SesRejected(ValueError):
    """Why an SES value does not make a valid seal signature."""


def is_ses(value: bytes) -> bool:
    try:
        return int(SesSignature.load(value, strict=True)["to_sign"]["version"].native) == 4
    except (ValueError, TypeError, KeyError):
        return False


@dataclass(frozen=True)
class Parsed:
    signature: SesSignature
    signer: ax.Certificate
    maker: ax.Certificate
    seal_name: str
    signed_at: datetime
    signer_name: str


def _parse(value: bytes) -> Parsed:
    try:
        ses = SesSignature.load(value, strict=True)
        _ = ses.native  # asn1crypto parses lazily: every field now, so that a damaged one fails here
        to_sign = ses["to_sign"]
        seal = to_sign["eseal"]
        if int(to_sign["version"].native) != 4 or seal["seal_info"]["header"]["id"].native != "ES":
            raise SesRejected("not a version 4 SES signature (GB/T 38540)")
        signer = ax.Certificate.load(ses["cert"].native, strict=True)
        maker = ax.Certificate.load(seal["cert"].native, strict=True)
        for cert in (signer, maker):  # the certificates too: what _checks reads of them must not fail there
            _ = cert.native, cert.dump(), cert.subject.human_friendly
        return Parsed(ses, signer, maker, str(seal["seal_info"]["property"]["name"].native),
                      to_sign["time_info"].native, signer.subject.human_friendly)
    except SesRejected:
        raise
    except (ValueError, TypeError, KeyError, OverflowError, AttributeError) as exc:
        raise SesRejected(f"the SES value does not parse: {exc}") from None


def _within(cert: ax.Certificate, at: datetime) -> bool:
    validity = cert["tbs_certificate"]["validity"]
    return bool(validity["not_before"].native <= at <= validity["not_after"].native)


def _authority_of(cert: ax.Certificate, authorities: Sequence[ax.Certificate]) -> ax.Certificate | None:
    return next((a for a in authorities if issued_by(cert, a)), None)


def _checks(p: Parsed, xml: bytes, authorities: Sequence[ax.Certificate]) -> tuple[bool, bool, str | None]:
    """(intact, trusted, why not valid) of one parsed SES signature over `xml`."""
    to_sign, seal = p.signature["to_sign"], p.signature["to_sign"]["eseal"]
    if sm3(xml) != to_sign["data_hash"].native:
        return False, False, "Signature.xml was changed after sealing (its SM3 digest does not match)"
    if p.signature["signature_alg_id"].dotted != SM2_WITH_SM3 or seal["sign_alg_id"].dotted != SM2_WITH_SM3:
        return True, False, "the seal is not signed with SM2/SM3"
    try:
        signer_key, maker_key = public_key_of(p.signer), public_key_of(p.maker)
    except NotSm2 as exc:
        return True, False, str(exc)
    if not signer_key.verify(p.signature["signature"].native, to_sign.dump()):
        return True, False, "the SM2 signature does not verify with the signer's certificate"
    maker_signed = _MakerSigned({"seal_info": seal["seal_info"], "cert": seal["cert"],
                                 "sign_alg_id": seal["sign_alg_id"]})
    if not maker_key.verify(seal["signed_value"].native, maker_signed.dump()):
        return True, False, "the seal's own SM2 signature (by its maker) does not verify: the seal was altered"
    return True, *_trust(p, authorities)


def _trust(p: Parsed, authorities: Sequence[ax.Certificate]) -> tuple[bool, str | None]:
    prop = p.signature["to_sign"]["eseal"]["seal_info"]["property"]
    for who, cert in (("signer", p.signer), ("seal maker", p.maker)):
        if _authority_of(cert, authorities) is None:
            return False, f"the {who}'s certificate was not issued by the configured SM2 seal authority"
        if not _within(cert, p.signed_at):
            return False, f"the {who}'s certificate was not valid at the signing time"
    if not prop["valid_start"].native <= p.signed_at <= prop["valid_end"].native:
        start, end = prop["valid_start"].native, prop["valid_end"].native
        return False, f"the seal {p.seal_name!r} was not valid at the signing time ({start:%Y-%m-%d} to {end:%Y-%m-%d})"
    if int(prop["cert_list_type"].native) != 1 or p.signer.dump() not in [c.native for c in prop["cert_list"]]:
        return False, f"the seal {p.seal_name!r} does not list the signer's certificate: it is not the signer's seal"
    return True, None


def check_ses(item: Signed, authorities: Sequence[ax.Certificate]) -> SignatureCheck:
    """One OFD signature whose value is an SES_Signature, judged against the SM2 seal authorities."""
    try:
        parsed = _parse(item.value)
    except SesRejected as exc:
        return SignatureCheck(item.sig_id, None, True, False, False, str(exc), kind="ses")
    intact, trusted, why = _checks(parsed, item.xml, authorities)  # _parse read every field it reads
    if why is None and item.uncovered:
        why = f"the signature does not cover {', '.join(item.uncovered)}"
    return SignatureCheck(item.sig_id, parsed.signer_name, intact, trusted,
                          intact and trusted and why is None, why, kind="ses", seal=parsed.seal_name,
                          signed_at=parsed.signed_at.isoformat())


def build_ses(xml: bytes, *, signer_key: Sm2Key, signer_cert: ax.Certificate, maker_key: Sm2Key,
              maker_cert: ax.Certificate, seal_name: str, valid: tuple[datetime, datetime], signed_at: datetime,
              picture: bytes = b"", listed: Sequence[ax.Certificate] | None = None) -> bytes:
    """An SES_Signature over `xml` (a Signature.xml): the seal made and signed by its maker, listing the
    signer's certificate (or `listed`), then sealed by the signer."""

    info = SealInfo({
        "header": {"id": "ES", "version": 4, "vid": "gov-hub"},
        "es_id": f"45{signed_at:%Y%m%d%H%M%S}",
        "property": {"type": 1, "name": seal_name, "cert_list_type": 1,
                     "cert_list": [c.dump() for c in (listed if listed is not None else [signer_cert])],
                     "create_date": valid[0], "valid_start": valid[0], "valid_end": valid[1]},
        "picture": {"type": "png", "data": picture, "width": 40, "height": 40}})
    made = _MakerSigned({"seal_info": info, "cert": maker_cert.dump(), "sign_alg_id": SM2_WITH_SM3})
    seal = SESeal({"seal_info": info, "cert": maker_cert.dump(), "sign_alg_id": SM2_WITH_SM3,
                   "signed_value": maker_key.sign(made.dump())})
    to_sign = TbsSign({"version": 4, "eseal": seal, "time_info": signed_at,
                       "data_hash": sm3(xml),
                       "property_info": "/Doc_0/Signs/Sign_0/Signature.xml"})
    return SesSignature({"to_sign": to_sign, "cert": signer_cert.dump(), "signature_alg_id": SM2_WITH_SM3,
                         "signature": signer_key.sign(to_sign.dump())}).dump()
