"""What the e-license routes share for the life of the process: the license-type registry (the reference
list under it), the holder-id hasher, the blob store and the certificates of the unified e-seal authority."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from hubkit.blobs import BlobStore, open_store
from hubkit.problems import Problem

from elicense.adapters.seals import verify_file
from elicense.domain import license_types
from elicense.domain.files import VerifiedFile
from elicense.domain.holders import HolderHasher
from elicense.service.license_types import TypeRegistry
from elicense.settings import ElicenseSettings


@dataclass
class Library:
    registry: TypeRegistry
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
        return cls(TypeRegistry(types), HolderHasher(settings.holder_key),
                   open_store(settings.blob_dir, settings.blob_url), roots, settings)

    async def verify_and_keep(self, data: bytes, claimed: str | None) -> VerifiedFile:
        """The handlers' `FileVerifier`: size limit, format and seals from the bytes (in a thread: PDF
        signature checks take a while), then the bytes into the blob store, content-addressed."""
        if len(data) > self.settings.max_file_bytes:
            raise Problem(413, "File too large", f"license files are limited to {self.settings.max_file_bytes} "
                          "bytes", kind="file-too-large")
        verified = await asyncio.to_thread(verify_file, data, self.trust_roots, claimed)
        await self.store.put(data)
        return verified
