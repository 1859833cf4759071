"""What a hub on one machine needs for the e-license library: seal authorities of its own, whose
certificates the service trusts, so that `hub up` can seal and verify license files without the real
unified e-seal authority: one for CMS seals (ECDSA) and one for national seals (GB/T 38540, SM2). The
launcher finds `local_env` through the `gov_hub.local_env` entry point."""

from __future__ import annotations

from pathlib import Path

from elicense.samples import SealAuthority, make_seal_authority
from elicense.sm2_samples import Sm2SealAuthority, make_sm2_seal_authority


def local_seal_authority(home: Path) -> Path:
    """The CMS authority under HUB_HOME/seal (made once); returns its certificate's path."""
    directory = home / "seal"
    if not (directory / "authority.pem").exists():
        make_seal_authority("gov-hub 本机测试电子印章签发机构").save(directory)
    SealAuthority.load(directory)  # fail here, not in the service, if the files were damaged
    return directory / "authority.pem"


def local_sm2_seal_authority(home: Path) -> Sm2SealAuthority:
    """The SM2 authority under HUB_HOME/seal (made once, also in a home made before it existed)."""
    directory = home / "seal"
    if not (directory / "sm2-authority.pem").exists():
        make_sm2_seal_authority("gov-hub 本机测试电子印章签发机构（SM2）").save(directory)
    return Sm2SealAuthority.load(directory)


def local_trust_bundle(home: Path) -> Path:
    """Both authorities' certificates in one PEM bundle: what the service trusts."""
    cms = local_seal_authority(home)
    sm2 = local_sm2_seal_authority(home)
    bundle = home / "seal" / "trusted.pem"
    bundle.write_bytes(cms.read_bytes() + sm2.cert_pem())
    return bundle


def local_env(home: Path) -> dict[str, str]:
    """The elicense process's environment on a local hub."""
    return {"HUB_SEAL_AUTHORITY_CERT": str(local_trust_bundle(home))}
