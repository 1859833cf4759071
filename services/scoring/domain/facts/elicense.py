"""A unit's e-license facts, as issuer (claims, pushes, uses of its licenses without the seal) and
as user (its first waiver of application materials)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias

import contracts.fastdecode as fast
from contracts import elicense as e

from scoring.domain.clock import Instant, local_day, month_of
from scoring.domain.facts.stamps import EventId, Stamp, earlier

Claimed: TypeAlias = e.TypesClaimed | fast.TypesClaimed
Pushed: TypeAlias = e.LicensePushed | fast.LicensePushed
Used: TypeAlias = e.LicenseUsed | fast.LicenseUsed


@dataclass(frozen=True, slots=True)
class Claim:
    stamp: Stamp
    types: frozenset[str]
    declared_stock: int | None


# Per license: (first push, first push with a file, first stock-mode push, first sealed push) (None: not yet).
# A plain tuple, not an object: a log holds hundreds of thousands of them. Not a list either: a tuple of ints the
# cyclic GC has seen once is no longer tracked, so the projection's periodic full collection skips them (a list
# stays tracked: 390,000 of the 526,000 objects the collector tracked in a 1M-event memory).
LicenseFirsts = tuple[Stamp | None, Stamp | None, Stamp | None, Stamp | None]
PUSH, FILE, STOCK, SEALED = 0, 1, 2, 3


@dataclass(slots=True)
class ElicenseFacts:
    claims: dict[EventId, Claim] = field(default_factory=dict)
    type_first_push: dict[str, Stamp] = field(default_factory=dict)
    licenses: dict[str, LicenseFirsts] = field(default_factory=dict)
    pushes: int = 0  # folds of a push so far: what a scorer derives from `licenses` is valid while equal
    first_ofd_auto: Stamp | None = None
    unsealed_uses: dict[str, dict[EventId, Instant]] = field(default_factory=dict)  # as issuer; month ->
    first_waiver: Stamp | None = None  # as user
    uses: dict[int, dict[EventId, Instant]] = field(default_factory=dict)  # as user; local day -> its uses

    def claim_at(self, t: Instant) -> Claim | None:
        """The claim in force at t: the latest one at or before t."""
        best: Claim | None = None
        for claim in self.claims.values():
            if claim.stamp[0] <= t and (best is None or claim.stamp > best.stamp):
                best = claim
        return best


def claim(facts: ElicenseFacts, d: Claimed, s: Stamp) -> None:
    facts.claims[s[1]] = Claim(s, frozenset(d.license_types), d.declared_stock)


def push(facts: ElicenseFacts, d: Pushed, s: Stamp) -> None:
    first_type = facts.type_first_push
    cur = first_type.get(d.license_type)
    if cur is None or s < cur:
        first_type[d.license_type] = s
    fmt, mode = d.file_format, d.push_mode
    lic = facts.licenses.get(d.license_id)
    if lic is None:
        facts.licenses[d.license_id] = (s, s if fmt is not None else None, s if mode == "stock" else None,
                                        s if d.sealed else None)
    else:  # pushed again (rare): each first is replaced by this push when it is earlier and applies
        first_push, first_file, first_stock, first_sealed = lic
        facts.licenses[d.license_id] = (_first(first_push, s, True), _first(first_file, s, fmt is not None),
                                        _first(first_stock, s, mode == "stock"), _first(first_sealed, s, d.sealed))
    if fmt == "ofd" and mode == "auto_incremental" and earlier(facts.first_ofd_auto, s):
        facts.first_ofd_auto = s
    facts.pushes += 1


def _first(cur: Stamp | None, s: Stamp, applies: bool) -> Stamp | None:
    return s if applies and earlier(cur, s) else cur


def waive(facts: ElicenseFacts, d: Used, s: Stamp) -> None:
    """The user's side of a use: the use on its day, and its first use that waived application materials."""
    facts.uses.setdefault(local_day(s[0]), {})[s[1]] = s[0]
    if d.waived_materials > 0 and earlier(facts.first_waiver, s):
        facts.first_waiver = s


def unsealed_use(issuer: ElicenseFacts, s: Stamp) -> None:
    """The issuer's side of a use of its license without the unified e-seal (B2.4)."""
    issuer.unsealed_uses.setdefault(month_of(s[0]), {})[s[1]] = s[0]
