"""The checks every ruleset item passes before anything is scored: its kind, source and metric,
and the fields each kind, attribution and size rule needs or forbids. A failed check is a
RulesetError naming the item; the rules that are a single condition are listed as data."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from itertools import pairwise
from typing import TYPE_CHECKING, NoReturn

from scoring.domain.metric_specs import METRIC_SPECS

if TYPE_CHECKING:
    from scoring.domain.ruleset import Item

KINDS = ("flag", "occurrence", "tiered_rate", "deadline_batch", "achievement", "achievement_count")
SOURCES = ("insp", "cat", "exc", "lic")


class RulesetError(ValueError):
    """The ruleset file is unusable; the message names the offending indicator or item."""


def fail(where: str, message: str) -> NoReturn:
    raise RulesetError(f"{where}: {message}")


def point_values(item: Item) -> list[tuple[str, Decimal]]:
    values = [("points", item.points)]
    for label in ("provider_points", "reduced_points", "overdue_points"):
        value = getattr(item, label)
        if value is not None:
            values.append((label, value))
    return values


Check = Callable[["Item"], str | None]  # the problem with the item, or None


def _rule(broken: Callable[[Item], bool], message: str) -> Check:
    """A rule that is one condition; `{item...}` fields of the message are filled in."""
    return lambda item: message.format(item=item) if broken(item) else None


def _size_tier_points(item: Item) -> str | None:
    for t in item.size_tiers:
        if t.points > item.points:
            return f"size tier points {t.points} exceed the item's {item.points}"
    return None


def check_item(item: Item) -> None:
    """Every check, in the order a reader of the file meets the fields; the first problem fails."""
    for check in _CHECKS:
        problem = check(item)
        if problem is not None:
            fail(item.id, problem)


def _check_metric(item: Item) -> str | None:
    if item.source == "insp":
        if item.metric is not None:
            return "inspector items (source insp) take no metric"
        return None
    if item.metric is None:
        return f"source {item.source!r} needs a metric naming the fact computation"
    spec = METRIC_SPECS.get(item.metric)
    if spec is None:
        return f"unknown metric {item.metric!r} (known: {', '.join(sorted(METRIC_SPECS))})"
    if item.kind not in spec.kinds:
        return f"metric {item.metric!r} yields {'/'.join(spec.kinds)}, not {item.kind}"
    missing = set(spec.params) - set(item.params)
    extra = set(item.params) - set(spec.params)
    if missing or extra:
        return f"metric {item.metric!r} takes params {sorted(spec.params)}, got {sorted(item.params)}"
    for name, allowed in spec.params.items():
        if allowed and item.params[name] not in allowed:
            return f"param {name}={item.params[name]!r} not one of {sorted(map(str, allowed))}"
    return None


def _check_tiers(item: Item) -> str | None:
    prev_below: Decimal | None = None
    prev_points: Decimal | None = None
    for tier in item.tiers:
        if not Decimal(0) < tier.below <= Decimal(100):
            return f"tier threshold {tier.below} is not a percentage in (0, 100]"
        if prev_below is not None and tier.below <= prev_below:
            return f"tier thresholds must increase ({prev_below} then {tier.below})"
        if tier.points <= 0 or tier.points > item.points:
            return f"tier points {tier.points} must be in (0, {item.points}]"
        if prev_points is not None and tier.points > prev_points:
            return f"tier points must not increase with the rate ({prev_points} then {tier.points})"
        prev_below, prev_points = tier.below, tier.points
    return None


_CHECKS: tuple[Check, ...] = (
    _rule(lambda i: i.kind not in KINDS, "unknown kind {item.kind!r} (known: " + ", ".join(KINDS) + ")"),
    _rule(lambda i: i.source not in SOURCES, "unknown source {item.source!r} (known: " + ", ".join(SOURCES) + ")"),
    _check_metric,
    _rule(lambda i: (i.kind == "tiered_rate") != bool(i.tiers),
          "tiers are required for tiered_rate items and only for them"),
    _check_tiers,
    _rule(lambda i: i.attribution == "provider" and i.provider_points is None,
          "attribution 'provider' needs provider_points"),
    _rule(lambda i: i.attribution in ("provider", "both") and i.kind != "occurrence",
          "attribution {item.attribution!r} only applies to occurrence items"),
    _rule(lambda i: i.attribution == "parent_city" and i.kind != "flag",
          "attribution 'parent_city' only applies to flag items"),
    _rule(lambda i: i.reduced_points is not None and i.reduced_points >= i.points,
          "reduced_points must be below points"),
    _rule(lambda i: i.kind == "deadline_batch" and i.per_missing is None, "deadline_batch items need per_missing"),
    _rule(lambda i: (i.overdue_points is None) != (i.overdue_after_months is None),
          "overdue_points and overdue_after_months go together"),
    _rule(lambda i: i.kind == "achievement_count" and i.points_each is None,
          "achievement_count items need points_each"),
    _rule(lambda i: bool(i.size_tiers or i.size_steps) and i.kind != "achievement",
          "size_tiers/size_steps only apply to achievement items"),
    _rule(lambda i: bool(i.size_tiers and i.size_steps), "give size_tiers or size_steps, not both"),
    _rule(lambda i: any(a <= b for a, b in pairwise(t.at_least for t in i.size_tiers)),
          "size_tiers must be listed from the largest size down"),
    _size_tier_points,
)
