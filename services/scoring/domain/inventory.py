"""The system inventory (信息系统清单): each unit's private networks and information systems, the progress it
claims for them, and the measures of ruleset items computed from it. Pure: claims in, findings out.

A claim states one entry whole: what it is (kind, origin, the service items it handles) and how far its
work has come (connected to the e-government extranet, decommissioned/merged/reworked, on the government
cloud, docked to the integrated platform). What an entry *is* counts from the claim on: declaring a
system only ever adds to what the unit owes. What it claims to have *done* counts while the claim is
believed: from the claim until the end of its grace period (N working days), for good once an inspector
verifies it, never again once an inspector rejects it. The state at an instant reads only the claims
and reviews made up to that instant, so the state of the past never changes.

Each measure turns the state at an instant into an item's value (a flag, or a rate); the hub records
a finding whenever that value changes (`changes`), with the inventory's words in its note.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from scoring.domain.clock import Instant, date_end
from scoring.domain.deadlines import working_deadline_at
from scoring.domain.item_checks import RulesetError
from scoring.domain.ruleset import Ruleset, companion_toml

NETWORK = "private-network"  # 非涉密业务专网
SYSTEM = "information-system"  # 非涉密信息系统 (a business handling system when it handles service items)
KINDS = (NETWORK, SYSTEM)
ORIGINS = ("self-built", "national-vertical")  # 自建 / 国垂
# Findings are recorded only this long after the instant they are about: a claim stamped just before
# may still be committing (the sweep and a claim run in separate transactions).
SETTLE_US = 60 * 1_000_000


@dataclass(frozen=True, slots=True)
class Progress:
    """What a claim says was done (all false/0 for an entry just declared)."""

    connected: bool = False  # network: connected to the e-government extranet (联通)
    decommissioned: bool = False  # network: decommissioned, merged or reworked (撤并改); system: retired
    on_cloud: bool = False  # system: migrated to the government cloud (迁移上云)
    docked_items: int = 0  # system: service items whose handling is docked to the integrated platform
    form_items: int = 0  # system: service items whose business forms were submitted


NOTHING_DONE = Progress()


@dataclass(frozen=True, slots=True)
class Claim:
    claim_id: str
    entry_id: str
    at: Instant
    kind: str
    name: str
    origin: str | None  # systems only
    service_items: int  # systems only: the service items it handles (0: not a business handling system)
    progress: Progress
    verified_at: Instant | None = None
    rejected_at: Instant | None = None

    def believed(self, x: Instant, grace_ends: Instant) -> bool:
        """Whether the progress it claims counts at x."""
        if self.at > x:
            return False
        if self.verified_at is not None and self.verified_at <= x:
            return True
        if self.rejected_at is not None and self.rejected_at <= x:
            return False
        return x < grace_ends


@dataclass(frozen=True, slots=True)
class Entry:
    """An entry as it stands at an instant: what it is from its latest claim, what is done from its
    latest believed one."""

    entry_id: str
    kind: str
    name: str
    origin: str | None
    service_items: int
    done: Progress

    @property
    def retired(self) -> bool:
        return self.done.decommissioned


def state_at(claims: Iterable[Claim], x: Instant, grace_days: int) -> list[Entry]:
    """Every entry of one unit at instant x (claims in any order)."""
    latest: dict[str, Claim] = {}
    believed: dict[str, Claim] = {}
    for claim in sorted(claims, key=lambda c: (c.at, c.claim_id)):
        if claim.at > x:
            break
        latest[claim.entry_id] = claim
        if claim.believed(x, working_deadline_at(claim.at, grace_days)):
            believed[claim.entry_id] = claim
    out = []
    for entry_id, claim in latest.items():
        done = believed[entry_id].progress if entry_id in believed else NOTHING_DONE
        out.append(Entry(entry_id, claim.kind, claim.name, claim.origin, claim.service_items, done))
    return sorted(out, key=lambda e: e.entry_id)


# ── measures: the state at an instant → an item's value ──────────────────────────────────────────

@dataclass(frozen=True, slots=True)
class Value:
    """A flag (`holds`) or a rate (`numerator` of `denominator`), with the words of the finding's note."""

    holds: bool | None = None
    numerator: int = 0
    denominator: int = 0
    note: str = ""

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.holds,) if self.holds is not None else (self.numerator, self.denominator)


def _live_networks(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if e.kind == NETWORK]


def networks_not_connected(entries: list[Entry]) -> Value:
    """A1.4: a network neither connected to the extranet nor decommissioned."""
    left = [e.name for e in _live_networks(entries) if not e.done.connected and not e.retired]
    return Value(bool(left), note=f"系统清单：业务专网未与电子政务外网联通：{'、'.join(left)}" if left
                 else "系统清单：业务专网均已与电子政务外网联通或已撤并改")


def networks_not_decommissioned(entries: list[Entry]) -> Value:
    """A1.7: a network whose decommissioning/merging/rework (撤并改) is not done."""
    left = [e.name for e in _live_networks(entries) if not e.retired]
    return Value(bool(left), note=f"系统清单：业务专网未完成撤并改：{'、'.join(left)}" if left
                 else "系统清单：业务专网均已完成撤并改")


def cloud_migration_rate(entries: list[Entry]) -> Value:
    """A2.6: self-built systems in service, migrated to the cloud (national vertical systems are the
    ministries' and are not migrated here; retired systems leave the count)."""
    scope = [e for e in entries if e.kind == SYSTEM and e.origin == "self-built" and not e.retired]
    done = sum(1 for e in scope if e.done.on_cloud)
    return Value(numerator=done, denominator=len(scope), note=f"系统清单：非涉密信息系统已迁移上云 {done}/{len(scope)}")


def _item_rate(entries: list[Entry], origin: str | None, done: Callable[[Progress], int], what: str) -> Value:
    scope = [e for e in entries if e.kind == SYSTEM and e.service_items > 0 and not e.retired
             and (origin is None or e.origin == origin)]
    total = sum(e.service_items for e in scope)
    got = sum(min(done(e.done), e.service_items) for e in scope)
    return Value(numerator=got, denominator=total, note=f"系统清单：{what} {got}/{total} 项政务服务事项")


def business_form_rate(entries: list[Entry]) -> Value:
    """A3.5: service items of business handling systems whose business forms were submitted."""
    return _item_rate(entries, None, lambda p: p.form_items, "已提交业务表单")


def self_built_docking_rate(entries: list[Entry]) -> Value:
    """A3.6: service items of self-built business handling systems docked to the integrated platform."""
    return _item_rate(entries, "self-built", lambda p: p.docked_items, "自建业务办理系统已对接")


def national_docking_rate(entries: list[Entry]) -> Value:
    """A3.7: service items of national vertical business handling systems docked to the platform."""
    return _item_rate(entries, "national-vertical", lambda p: p.docked_items, "国垂业务办理系统已对接")


MEASURES: dict[str, tuple[Literal["flag", "tiered_rate"], Callable[[list[Entry]], Value]]] = {
    "networks_not_connected": ("flag", networks_not_connected),
    "networks_not_decommissioned": ("flag", networks_not_decommissioned),
    "cloud_migration_rate": ("tiered_rate", cloud_migration_rate),
    "business_form_rate": ("tiered_rate", business_form_rate),
    "self_built_docking_rate": ("tiered_rate", self_built_docking_rate),
    "national_docking_rate": ("tiered_rate", national_docking_rate),
}


# ── the rules: which measure feeds which item, from when ─────────────────────────────────────────

@dataclass(frozen=True, slots=True)
class Fed:
    item: str
    measure: str
    indicator: str
    judged_after: date | None  # None: from the first claim (the item's own start date still applies)

    def judged_from(self) -> Instant | None:
        return date_end(self.judged_after) if self.judged_after is not None else None


@dataclass(frozen=True, slots=True)
class InventoryRules:
    ruleset_id: str
    grace_working_days: int
    fed: tuple[Fed, ...]

    def items(self) -> set[str]:
        return {f.item for f in self.fed}

    def binding(self, absent: frozenset[str]) -> list[Fed]:
        """The measures that apply to a unit that declared these indicators absent."""
        return [f for f in self.fed if f.indicator not in absent]


def parse_inventory_rules(text: str, ruleset: Ruleset, origin: str) -> InventoryRules:
    raw = companion_toml(text, ruleset, origin, "inventory rules")
    grace = raw.get("grace_working_days")
    if not isinstance(grace, int) or not 1 <= grace <= 60:
        raise RulesetError(f"{origin}: grace_working_days must be a whole number of working days, 1 to 60")
    fed = tuple(_fed(r, ruleset, origin) for r in raw.get("measure", []))
    if len({f.item for f in fed}) != len(fed):
        raise RulesetError(f"{origin}: an item is fed twice")
    return InventoryRules(ruleset.id, grace, fed)


def _fed(raw: dict[str, Any], ruleset: Ruleset, origin: str) -> Fed:
    item = ruleset.items.get(str(raw.get("item")))
    measure = str(raw.get("measure"))
    if item is None or item.source != "insp" or item.metric is not None:
        raise RulesetError(f"{origin}: item {raw.get('item')!r} is not an inspector's item")
    if measure not in MEASURES:
        raise RulesetError(f"{origin}: {item.id}: unknown measure {measure!r} (known: {', '.join(MEASURES)})")
    if MEASURES[measure][0] != item.kind:
        raise RulesetError(f"{origin}: {item.id} is a {item.kind} item; {measure} gives a {MEASURES[measure][0]}")
    after = raw.get("judged_after")
    if after is not None and not isinstance(after, date):
        raise RulesetError(f"{origin}: {item.id}: judged_after must be a date")
    return Fed(item.id, measure, item.id.split(".")[0], after)


def builtin_inventory_rules(ruleset: Ruleset, rulesets_dir: Path) -> InventoryRules:
    """The rules shipped beside the ruleset (`<id>.inventory.toml`); none when there is no file."""
    path = rulesets_dir / f"{ruleset.id}.inventory.toml"
    if not path.is_file():
        return InventoryRules(ruleset.id, 10, ())
    return parse_inventory_rules(path.read_text(encoding="utf-8"), ruleset, f"rulesets/{path.name}")


# ── the findings a unit's inventory calls for ────────────────────────────────────────────────────

@dataclass(frozen=True, slots=True)
class Change:
    """A finding the inventory calls for: an item's value changed at `at`."""

    finding_id: str
    item: str
    effect: Literal["holds", "resolved", "rate"]
    at: Instant
    note: str
    numerator: int | None = None
    denominator: int | None = None


def instants(claims: list[Claim], grace_days: int) -> list[Instant]:
    """Every instant at which the state of the inventory may change."""
    found: set[Instant] = set()
    for c in claims:
        found.add(c.at)
        found.add(working_deadline_at(c.at, grace_days))
        found.update(t for t in (c.verified_at, c.rejected_at) if t is not None)
    return sorted(found)


def due(claims: list[Claim], fed: Sequence[Fed], grace_days: int, since: Instant | None, now: Instant) -> bool:
    """Whether a sweep as of `now` may find something a sweep as of `since` could not: an instant at which
    the unit's state (or an item's judging) changes became final in between. None: never swept yet."""
    if since is None:
        return True
    starts = [start for f in fed if (start := f.judged_from()) is not None]
    return any(since < x + SETTLE_US <= now for x in (*instants(claims, grace_days), *starts))


def changes(unit: str, claims: list[Claim], fed: Fed, grace_days: int, now: Instant) -> list[Change]:
    """The findings of one item for one unit, from its claims, up to `now` (less the settling time)."""
    kind, measure = MEASURES[fed.measure]
    start = fed.judged_from()
    last: tuple[Any, ...] | None = (False,) if kind == "flag" else None
    out = []
    for x in instants(claims, grace_days):
        if start is not None and x < start:
            x = start
        if x + SETTLE_US > now:
            break
        value = measure(state_at(claims, x, grace_days))
        if value.key == last or (last is None and value.denominator == 0):
            continue  # unchanged; a rate with nothing to measure is not recorded until there is
        last = value.key
        fid = f"inv:{unit}:{fed.item}:{x}"
        if value.holds is None:
            out.append(Change(fid, fed.item, "rate", x, value.note, value.numerator, value.denominator))
        else:
            out.append(Change(f"{fid}:{'holds' if value.holds else 'resolved'}", fed.item,
                              "holds" if value.holds else "resolved", x, value.note))
    return out
