"""Which inspectors' findings the ruleset admits (`check_finding`), before they become events."""

from __future__ import annotations

from scoring.domain.ruleset import Ruleset

# The effect each item kind takes from a finding.
EFFECTS_BY_KIND: dict[str, frozenset[str]] = {
    "flag": frozenset({"holds", "resolved"}),
    "occurrence": frozenset({"occurrence"}),
    "tiered_rate": frozenset({"rate"}),
    "achievement": frozenset({"achieved"}),
    "achievement_count": frozenset({"achieved"}),
}


class FindingRejected(ValueError):
    """The finding does not fit the ruleset; the message says which field and why."""


def check_finding(
    ruleset: Ruleset, *, item: str, effect: str, unit_kind: str | None, attributed_unit: str | None,
    unit: str,
) -> None:
    rule = ruleset.items.get(item)
    if rule is None:
        raise FindingRejected(f"item: {item} is not an item of ruleset {ruleset.id} v{ruleset.version}")
    if rule.source != "insp":
        raise FindingRejected(
            f"item: {item} is computed from {_SOURCE_NAMES.get(rule.source, rule.source)} events, "
            "not from inspectors' findings")
    allowed = EFFECTS_BY_KIND.get(rule.kind, frozenset())
    if effect not in allowed:
        raise FindingRejected(
            f"effect: {item} is a {rule.kind.replace('_', ' ')} item; it takes {', '.join(sorted(allowed))}, "
            f"not {effect}")
    if attributed_unit is not None:
        if rule.attribution not in ("provider", "both"):
            raise FindingRejected(f"attributed_unit: {item} does not shift its deduction to another unit")
        if attributed_unit == unit:
            raise FindingRejected("attributed_unit: the provider must be another unit than the finding's unit")
    if unit_kind is not None and unit_kind not in rule.applies_to and rule.attribution != "parent_city":
        raise FindingRejected(f"unit: {item} applies to {', '.join(rule.applies_to)}, not to a {unit_kind}")


_SOURCE_NAMES = {"cat": "catalog", "exc": "exchange", "lic": "e-license"}
