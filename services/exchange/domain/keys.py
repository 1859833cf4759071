"""Keys of calling systems: `hubsys_<system id>_<secret>`, 256 random bits. The hub keeps only the key's
SHA-256 (a random key of that size needs neither salt nor a slow hash) and a hint to tell keys apart."""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "hubsys_"


def new_key(system_id: str) -> tuple[str, bytes, str]:
    """(the key, shown once; its hash, kept; its hint: the prefix and the last four characters)."""
    key = f"{PREFIX}{system_id}_{secrets.token_urlsafe(32)}"
    return key, digest(key), f"{PREFIX}{system_id}_…{key[-4:]}"


def digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def looks_like_key(value: str) -> bool:
    return value.startswith(PREFIX) and 20 < len(value) < 200
