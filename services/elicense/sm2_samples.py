"""A test SM2 seal authority (GB/T 38540 seals), for tests, the demo and benchmarks: the national way of
sealing an OFD licence, next to the CMS one of `samples.SealAuthority`.

The authority's SM2 root certificate is what the service trusts (it goes in the HUB_SEAL_AUTHORITY_CERT
bundle); it makes the seal (as its maker) and issues the signer's certificate the seal lists.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import pem
from asn1crypto import x509 as ax

from elicense.adapters.seals.ses import build_ses
from elicense.adapters.seals.sm2 import SM2_ORDER, SM2_WITH_SM3, Sm2Key, issue, sm3

SM3_METHOD = "1.2.156.10197.1.401"


def _name(cn: str) -> ax.Name:
    return ax.Name.build({"country_name": "CN", "organization_name": "广西壮族自治区", "common_name": cn})


def _key() -> Sm2Key:
    return Sm2Key.generate(secrets.randbelow(SM2_ORDER - 1) + 1)


@dataclass(frozen=True)
class Sm2SealAuthority:
    key: Sm2Key
    cert: ax.Certificate
    signer_key: Sm2Key
    signer_cert: ax.Certificate
    seal_name: str
    seal_valid: tuple[datetime, datetime]

    check_method = SM3_METHOD  # how the Signature.xml references are digested
    signature_method = SM2_WITH_SM3

    def cert_pem(self) -> bytes:
        return pem.armor("CERTIFICATE", self.cert.dump())

    def digest(self, data: bytes) -> bytes:
        return sm3(data)

    def seal(self, signature_xml: bytes, signed_at: datetime | None = None) -> bytes:
        """The SES_Signature over a Signature.xml: this authority's seal, used by its signer."""
        return build_ses(signature_xml, signer_key=self.signer_key, signer_cert=self.signer_cert, maker_key=self.key,
                         maker_cert=self.cert, seal_name=self.seal_name, valid=self.seal_valid,
                         signed_at=(signed_at or datetime.now(UTC)).replace(microsecond=0))

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "sm2-authority.pem").write_bytes(self.cert_pem())
        (directory / "sm2-signer.pem").write_bytes(pem.armor("CERTIFICATE", self.signer_cert.dump()))
        (directory / "sm2-keys.json").write_text(json.dumps({
            "authority": [self.key.public, self.key.private],
            "signer": [self.signer_key.public, self.signer_key.private],
            "seal_name": self.seal_name, "seal_valid": [t.isoformat() for t in self.seal_valid]}), encoding="utf-8")
        return directory / "sm2-authority.pem"

    @classmethod
    def load(cls, directory: Path) -> Sm2SealAuthority:
        keys = json.loads((directory / "sm2-keys.json").read_text(encoding="utf-8"))

        def cert(name: str) -> ax.Certificate:
            return ax.Certificate.load(pem.unarmor((directory / name).read_bytes())[2])

        start, end = (datetime.fromisoformat(t) for t in keys["seal_valid"])
        return cls(Sm2Key(*keys["authority"]), cert("sm2-authority.pem"), Sm2Key(*keys["signer"]),
                   cert("sm2-signer.pem"), keys["seal_name"], (start, end))


def make_sm2_seal_authority(name: str = "广西统一电子印章测试签发机构（SM2）", start: datetime | None = None,
                            seal_days: int = 1825) -> Sm2SealAuthority:
    """An SM2 root (10 years), a signer certificate it issued (5 years) and a seal it made for that signer,
    valid `seal_days` from `start` (default: yesterday)."""
    start = (start or datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    key, signer_key = _key(), _key()
    root = issue(_name(name), key, _name(name), key, secrets.randbits(63), start, start + timedelta(days=3650), ca=True)
    signer = issue(_name(f"{name} 签章人"), signer_key, _name(name), key, secrets.randbits(63), start,
                   start + timedelta(days=1825))
    return Sm2SealAuthority(key, root, signer_key, signer, f"{name} 电子印章",
                            (start, start + timedelta(days=seal_days)))
