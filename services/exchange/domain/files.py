"""File exchange (文件交换, seed 003 §34): a provider uploads versions of a file resource through the hub.

A version is content-addressed: its name in the store is the SHA-256 of its bytes, which the uploader states
(`X-Content-SHA256`) and the hub recomputes; a mismatch (a damaged or truncated upload) stores nothing. The
same bytes as the latest version are no new version (a retried upload is answered with the version it made).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_HEX64 = re.compile(r"[0-9a-f]{64}")
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


class FileRefused(ValueError):
    """The upload is not a version of the file: the message names the part and the reason."""


@dataclass(frozen=True)
class Upload:
    sha256: str
    size: int
    name: str
    media_type: str


def checked(content: bytes, stated_sha256: str | None, name: str | None, media_type: str) -> Upload:
    """The upload, or FileRefused: the stated checksum must be a SHA-256 hex digest equal to the content's, the
    file must not be empty, its name a plain file name (no directory, no control characters, at most 200)."""
    stated = (stated_sha256 or "").strip().lower()
    if not _HEX64.fullmatch(stated):
        raise FileRefused("X-Content-SHA256: state the file's SHA-256 as 64 hex digits")
    if not content:
        raise FileRefused("body: the file is empty")
    actual = hashlib.sha256(content).hexdigest()
    if actual != stated:
        raise FileRefused(f"X-Content-SHA256: the file received has SHA-256 {actual}, not {stated}: it was damaged "
                          "or cut short on the way; nothing was stored")
    clean = (name or "").strip()
    if not clean or len(clean) > 200 or _UNSAFE.search(clean) or clean in (".", ".."):
        raise FileRefused("name: a plain file name of at most 200 characters, without a directory")
    return Upload(actual, len(content), clean, media_type.split(";")[0].strip().lower() or "application/octet-stream")
