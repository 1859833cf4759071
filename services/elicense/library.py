"""What the e-license routes share for the life of the process: the license-type list, the holder-id
hasher, the blob store and the certificates of the unified e-seal authority."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from elicense.domain import license_types
from elicense.domain.holders import HolderHasher
from elicense.domain.license_types import LicenseType
from elicense.settings import ElicenseSettings
from elicense.storage.blobs import BlobStore, open_store


@dataclass
class Library:
    types: dict[str, LicenseType]
    hasher: HolderHasher
    store: BlobStore
    trust_roots: list[x509.Certificate]
    settings: ElicenseSettings

    @classmethod
    def from_settings(cls, settings: ElicenseSettings) -> Library:
        types = license_types.load(Path(settings.license_types_file)) if settings.license_types_file \
            else license_types.load()
        roots: list[x509.Certificate] = []
        if settings.seal_authority_cert:
            roots = x509.load_pem_x509_certificates(Path(settings.seal_authority_cert).read_bytes())
        return cls(types, HolderHasher(settings.holder_key), open_store(settings.blob_dir, settings.blob_url),
                   roots, settings)
