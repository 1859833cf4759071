"""What a hub on one machine needs for the e-license library: a seal authority of its own, whose
certificate the service trusts, so that `hub up` can seal and verify license files without the real
unified e-seal authority. The launcher finds `local_env` through the `gov_hub.local_env` entry point."""

from __future__ import annotations

from pathlib import Path

from elicense.samples import SealAuthority, make_seal_authority


def local_seal_authority(home: Path) -> Path:
    """The authority under HUB_HOME/seal (made once); returns its certificate's path."""
    directory = home / "seal"
    if not (directory / "authority.pem").exists():
        make_seal_authority("gov-hub 本机测试电子印章签发机构").save(directory)
    SealAuthority.load(directory)  # fail here, not in the service, if the files were damaged
    return directory / "authority.pem"


def local_env(home: Path) -> dict[str, str]:
    """The elicense process's environment on a local hub."""
    return {"HUB_SEAL_AUTHORITY_CERT": str(local_seal_authority(home))}
