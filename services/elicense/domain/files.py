"""License files as the domain sees them: the format the bytes are, what verification found (each
signature intact, trusted, valid; the file sealed or not), and the refusal of a file that is not what
it claims. The checks themselves (pyHanko, ZIP/XML, CMS) are an adapter: `elicense.adapters.seals`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Format = Literal["pdf", "ofd"]

PDF_WHITESPACE = b"\x00\t\n\x0c\r "
HEADER_WINDOW = 1024


@dataclass(frozen=True)
class SignatureCheck:
    field: str  # PDF field name / OFD signature id
    signer: str | None  # signer certificate subject (RFC 4514) if found
    intact: bool  # the signed bytes/digests match (and, PDF, no disallowed change after signing)
    trusted: bool  # the signer certificate chains to one of the trust roots
    valid: bool  # intact, cryptographically valid and trusted
    reason: str | None  # why not valid
    kind: Literal["cms", "ses", "unknown"] = "cms"  # CMS (PDF, OFD) or a national seal (GB/T 38540, SM2)
    seal: str | None = None  # SES: the seal's name
    signed_at: str | None = None  # SES: the signing time the seal states (ISO 8601)

    def as_dict(self) -> dict[str, object]:
        """As stored with the file and shown by GET /licenses/{id}."""
        return {"field": self.field, "kind": self.kind, "signer": self.signer, "seal": self.seal,
                "signed_at": self.signed_at, "intact": self.intact, "trusted": self.trusted, "valid": self.valid,
                "reason": self.reason}


@dataclass(frozen=True)
class VerifiedFile:
    format: Format
    sha256: str
    size: int
    sealed: bool  # at least one signature valid, and every signature present intact
    signatures: tuple[SignatureCheck, ...]
    pages: int | None
    text: str | None = None  # what its first pages show, where readable (checked against the license, not kept)


class FileRejected(ValueError):
    """The file is not what it claims, or not a well-formed PDF/OFD; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sniff(data: bytes) -> Format | None:
    """The format the bytes are, from their first bytes only: "pdf", "ofd" (a ZIP) or None."""
    head = data[:HEADER_WINDOW]
    skipped = len(head) - len(head.lstrip(PDF_WHITESPACE))
    if skipped < HEADER_WINDOW and data.startswith(b"%PDF-", skipped):
        return "pdf"
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "ofd"
    return None


