"""Holder ids are personal data: checked, then kept only as a keyed hash (lookup) and a mask (display).

A citizen id number (公民身份号码, GB 11643-1999) has 17 digits and a check character: the weighted
sum of the digits (weights 2^(17-i) mod 11) mod 11 indexes "10X98765432"; digits 7–14 are the birth
date. An organisation holds a unified social credit code (GB 32100-2015). The raw id never leaves the
request that carried it: events carry the license id only, logs never see it, and the database keeps
HMAC-SHA256(key, id), so a lookup by id works but the table alone does not reveal who holds what.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

from contracts.values import validate_uscc

from elicense.domain.license_types import HolderKind

_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK = "10X98765432"


def citizen_id_check_char(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def validate_citizen_id(value: str) -> str:
    """The normalised id (upper-case X) or ValueError saying what is wrong, without echoing the id."""
    v = value.strip().upper()
    if len(v) != 18 or not v[:17].isdigit() or not (v[17].isdigit() or v[17] == "X"):
        raise ValueError("a citizen id number has 17 digits and a check character (digit or X)")
    try:
        date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        raise ValueError("digits 7–14 of a citizen id number must be a birth date") from None
    if citizen_id_check_char(v[:17]) != v[17]:
        raise ValueError("the check character of the citizen id number is wrong (GB 11643)")
    return v


def validate_holder_id(value: str, kind: HolderKind) -> str:
    """Check the id against what the license type's holders carry."""
    v = value.strip().upper()
    if kind == "person":
        return validate_citizen_id(v)
    if kind == "organisation":
        try:
            return validate_uscc(v)
        except ValueError:
            raise ValueError("an organisation's holder id must be a valid unified social credit code") from None
    if len(v) == 18 and v[:17].isdigit():
        return validate_citizen_id(v)
    try:
        return validate_uscc(v)
    except ValueError:
        raise ValueError("holder id: neither a valid citizen id number nor a unified social credit code") from None


class HolderHasher:
    """Keyed hash and mask of holder ids (the key comes from settings and never from the data)."""

    def __init__(self, key: str) -> None:
        self._key = hashlib.sha256(key.encode()).digest()

    def digest(self, holder_id: str) -> bytes:
        return hmac.digest(self._key, holder_id.encode(), "sha256")

    @staticmethod
    def mask(holder_id: str) -> str:
        """First 3 and last 2 characters, the rest starred: enough to tell licenses apart at a window."""
        return holder_id[:3] + "*" * (len(holder_id) - 5) + holder_id[-2:]
