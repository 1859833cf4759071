"""SM2 with SM3 (GM/T 0003, GM/T 0009) through `gmssl`: keys and signatures as the national e-seal
structures and X.509 certificates carry them, and certificates issued by an SM2 authority."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from asn1crypto import algos, core
from asn1crypto import x509 as ax
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from gmssl import sm2

SM2_CURVE = "1.2.156.10197.1.301"  # sm2p256v1
SM2_WITH_SM3 = "1.2.156.10197.1.501"
SM2_ORDER = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123", 16)


def sm3(data: bytes) -> bytes:
    """The SM3 digest (OpenSSL's when its build has SM3, else gmssl's)."""
    if "sm3" in hashlib.algorithms_available:
        return hashlib.new("sm3", data).digest()
    from gmssl import func
    from gmssl import sm3 as gm_sm3

    return bytes.fromhex(gm_sm3.sm3_hash(func.bytes_to_list(data)))


class NotSm2(ValueError):
    """A key or certificate that is not SM2, or a signature that is not an SM2 signature value."""


@dataclass(frozen=True)
class Sm2Key:
    """A public key (and, for a signer, the private one), as gmssl takes them: hex, x||y without 04."""

    public: str
    private: str | None = None

    def verify(self, signature_der: bytes, data: bytes) -> bool:
        """An SM2 signature (DER SEQUENCE{r, s}) over SM3(Z || data), Z with the default user id."""
        try:
            sig = algos.DSASignature.load(signature_der, strict=True)
            r, s = int(sig["r"].native), int(sig["s"].native)
        except (ValueError, TypeError, KeyError):
            return False
        if not (0 < r < SM2_ORDER and 0 < s < SM2_ORDER):
            return False
        try:
            return bool(_crypt(self.public, "").verify_with_sm3(f"{r:064x}{s:064x}", data))
        except (ValueError, TypeError, ZeroDivisionError):  # a point that is not on the curve
            return False

    def sign(self, data: bytes) -> bytes:
        if self.private is None:
            raise ValueError("a public key cannot sign")
        raw = _crypt(self.public, self.private).sign_with_sm3(data)
        return algos.DSASignature({"r": int(raw[:64], 16), "s": int(raw[64:], 16)}).dump()

    @classmethod
    def generate(cls, secret: int) -> Sm2Key:
        """The key pair of a secret scalar (1 <= secret < n)."""
        if not 0 < secret < SM2_ORDER:
            raise ValueError("an SM2 private key is in [1, n-1]")
        private = f"{secret:064x}"
        crypt = sm2.CryptSM2(private_key=private, public_key="")
        return cls(crypt._kg(secret, crypt.ecc_table["g"]), private)


def _crypt(public: str, private: str) -> sm2.CryptSM2:
    """gmssl's SM2 object for a key. Its constructor strips a leading "04" with `str.lstrip("04")`, which
    also eats the x coordinate's own leading 0s and 4s (one key in 256 or so starts that way, and then
    every signature fails to verify): the key is set after construction instead."""
    crypt = sm2.CryptSM2(private_key=private, public_key="")
    crypt.public_key = public
    return crypt


def public_key_of(cert: ax.Certificate) -> Sm2Key:
    """The SM2 public key of a certificate (NotSm2 for any other kind of key, or a damaged one)."""
    try:
        info = cert["tbs_certificate"]["subject_public_key_info"]
        params = info["algorithm"]["parameters"]
        curve = params.chosen.native if getattr(params, "name", None) == "named" else None
        algorithm = info["algorithm"]["algorithm"].native
        point = bytes(info["public_key"])
    except (ValueError, TypeError, KeyError, AttributeError) as exc:  # asn1crypto parses lazily, fails here
        raise NotSm2(f"the certificate's key cannot be read: {exc}") from None
    if algorithm != "ec" or curve != SM2_CURVE:
        raise NotSm2("the certificate's key is not an SM2 key")
    if len(point) != 65 or point[0] != 4:
        raise NotSm2("the certificate's SM2 key is not an uncompressed point")
    return Sm2Key(point[1:].hex())


@lru_cache(maxsize=256)
def is_sm2_certificate(der: bytes) -> bool:
    # Asked of every trust root for every file checked; the bundle holds the same few certificates.
    try:
        public_key_of(ax.Certificate.load(der))
        return True
    except (NotSm2, ValueError, TypeError, KeyError, AttributeError):
        return False


def issued_by(cert: ax.Certificate, issuer: ax.Certificate) -> bool:
    """Whether `issuer` (an SM2 authority) signed `cert`: names match and the SM2 signature verifies."""
    return _issued_by(cert.dump(), issuer.dump())


@lru_cache(maxsize=1024)
def _issued_by(cert_der: bytes, issuer_der: bytes) -> bool:
    # The same few signer and maker certificates come with every file an authority sealed: a pure-Python
    # SM2 verification (about 10 ms) is done once per pair, not once per file.
    try:
        cert, issuer = ax.Certificate.load(cert_der), ax.Certificate.load(issuer_der)
        if cert["signature_algorithm"]["algorithm"].dotted != SM2_WITH_SM3 or cert.issuer != issuer.subject:
            return False
        key = public_key_of(issuer)
        return key.verify(bytes(cert["signature_value"]), cert["tbs_certificate"].dump())
    except (NotSm2, ValueError, TypeError, KeyError, AttributeError):  # a damaged certificate issues nothing
        return False


def issue(subject: ax.Name, key: Sm2Key, issuer: ax.Name, issuer_key: Sm2Key, serial: int, not_before: object,
          not_after: object, *, ca: bool = False) -> ax.Certificate:
    """An SM2 certificate (for the demo's and the tests' seal authority)."""
    spki = {"algorithm": {"algorithm": "ec", "parameters": ("named", SM2_CURVE)},
            "public_key": bytes.fromhex("04" + key.public)}
    extensions = [{"extn_id": "key_usage", "critical": True,
                   "extn_value": {"key_cert_sign", "crl_sign"} if ca else {"digital_signature", "non_repudiation"}}]
    if ca:
        extensions.append({"extn_id": "basic_constraints", "critical": True, "extn_value": {"ca": True}})
    tbs = ax.TbsCertificate({
        "version": "v3", "serial_number": serial, "signature": {"algorithm": SM2_WITH_SM3}, "issuer": issuer,
        "validity": {"not_before": ax.Time(name="utc_time", value=not_before),
                     "not_after": ax.Time(name="utc_time", value=not_after)},
        "subject": subject, "subject_public_key_info": spki, "extensions": extensions})
    return ax.Certificate({"tbs_certificate": tbs, "signature_algorithm": {"algorithm": SM2_WITH_SM3},
                           "signature_value": core.OctetBitString(issuer_key.sign(tbs.dump())).native})


def sm2_authorities(roots: Sequence[x509.Certificate]) -> list[ax.Certificate]:
    """The SM2 seal authorities among the configured trust roots (the others are for CMS signatures)."""
    return list(_authorities(tuple(root.public_bytes(serialization.Encoding.DER) for root in roots)))


@lru_cache(maxsize=16)
def _authorities(ders: tuple[bytes, ...]) -> tuple[ax.Certificate, ...]:
    # One trust bundle serves every file: its SM2 authorities are parsed once, not once per file.
    return tuple(ax.Certificate.load(der) for der in ders if is_sm2_certificate(der))
