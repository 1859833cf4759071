"""A ruleset (e.g. gx-2019) loaded from its data file and checked before anything is scored.

The file names every indicator and item with its points, kind, dates and fact source; the
engine is generic over *kinds*, and items computed from service events name a metric.
Any inconsistency is a load error naming the item, so a bad ruleset never scores anyone.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from functools import cached_property, lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from scoring.domain.item_checks import RulesetError, check_item, fail, point_values

RULESETS_DIR = Path(__file__).resolve().parent.parent / "rulesets"
DEDUCTION_KINDS = frozenset({"flag", "occurrence", "tiered_rate", "deadline_batch"})
BONUS_KINDS = frozenset({"achievement", "achievement_count"})

UnitKind = Literal["department", "city"]
Attribution = Literal["none", "provider", "both", "parent_city"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Tier(_Model):
    below: Decimal  # percent: the rate is strictly below this
    points: Decimal


class SizeTier(_Model):
    at_least: int
    points: Decimal


class SizeSteps(_Model):
    """points at `at_least`, plus `add` for every further `every` (D5.1), capped by the item."""

    at_least: int
    points: Decimal
    every: int = Field(gt=0)
    add: Decimal


class Item(_Model):
    id: str
    kind: str
    points: Decimal = Field(gt=0)
    source: str
    metric: str | None = None
    params: dict[str, str | int] = Field(default_factory=dict)
    applies_to: tuple[UnitKind, ...] = ("department", "city")
    starts: date | None = None
    deadline: date | None = None
    tiers: tuple[Tier, ...] = ()
    attribution: Attribution = "none"
    provider_points: Decimal | None = None
    reduced_points: Decimal | None = None
    per_missing: Decimal | None = None
    overdue_points: Decimal | None = None
    overdue_after_months: int | None = None
    size_tiers: tuple[SizeTier, ...] = ()
    size_steps: SizeSteps | None = None
    points_each: Decimal | None = None
    label_zh: str
    label_en: str

    @model_validator(mode="after")
    def _check(self) -> Item:
        check_item(self)
        return self


class Indicator(_Model):
    id: str
    part: Literal["X", "Y"]
    points: Decimal = Field(gt=0)
    absent_able: bool = False
    tied_to: str | None = None
    label_zh: str
    label_en: str
    items: tuple[Item, ...] = Field(alias="item", min_length=1)

    @model_validator(mode="after")
    def _check(self) -> Indicator:
        for item in self.items:
            if item.id != self.id and not item.id.startswith(self.id + "."):
                fail(item.id, f"does not belong to indicator {self.id}")
            for label, value in point_values(item):
                if value > self.points:
                    fail(item.id, f"{label} {value} exceed indicator {self.id}'s {self.points}")
            allowed = DEDUCTION_KINDS if self.part == "X" else BONUS_KINDS
            if item.kind not in allowed:
                fail(item.id, f"kind {item.kind!r} cannot appear in part {self.part}")
        if self.absent_able and self.part != "X":
            fail(self.id, "only deduction indicators can be absent")
        if self.tied_to is not None and self.part != "Y":
            fail(self.id, "only bonus indicators are tied to an absent-able indicator")
        return self


class Band(_Model):
    name: str
    at_least: Decimal
    label_zh: str = ""


class Outcome(_Model):
    deduction_total: Decimal
    bonus_total: Decimal
    y_gate: Decimal
    red_at_least: Decimal
    black_below: Decimal
    bands: tuple[Band, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> Outcome:
        floors = [b.at_least for b in self.bands]
        if any(a <= b for a, b in pairwise(floors)) or floors[-1] != 0:
            raise RulesetError("outcome.bands must be listed from the highest floor down to 0")
        return self

    def band(self, total: Decimal) -> str:
        return next(b.name for b in self.bands if total >= b.at_least)

    def listing(self, total: Decimal) -> str:
        if total >= self.red_at_least:
            return "red"
        return "black" if total < self.black_below else "none"


class Ruleset(_Model):
    id: str
    version: int
    title: str
    title_en: str
    source: str
    timezone: Literal["Asia/Shanghai"]
    parameters: dict[str, date | int | str] = Field(default_factory=dict)
    outcome: Outcome
    indicators: tuple[Indicator, ...] = Field(alias="indicator", min_length=1)

    @model_validator(mode="after")
    def _check(self) -> Ruleset:
        seen: set[str] = set()
        for ind in self.indicators:
            for item in ind.items:
                if item.id in seen:
                    fail(item.id, "is defined twice")
                seen.add(item.id)
        ind_ids = [i.id for i in self.indicators]
        if len(set(ind_ids)) != len(ind_ids):
            raise RulesetError("indicator ids must be unique")
        for part, total in (("X", self.outcome.deduction_total), ("Y", self.outcome.bonus_total)):
            got = sum((i.points for i in self.indicators if i.part == part), Decimal(0))
            if got != total:
                raise RulesetError(f"part {part} indicators sum to {got}, the outcome says {total}")
        absent_able = {i.id for i in self.indicators if i.absent_able}
        for ind in self.indicators:
            if ind.tied_to is not None and ind.tied_to not in absent_able:
                fail(ind.id, f"is tied to {ind.tied_to}, which is not an absent-able indicator")
        return self

    @cached_property
    def deductions(self) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if i.part == "X")

    @cached_property
    def bonuses(self) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if i.part == "Y")

    @cached_property
    def items(self) -> dict[str, Item]:
        return {item.id: item for ind in self.indicators for item in ind.items}

    @cached_property
    def indicator_of(self) -> dict[str, Indicator]:
        return {item.id: ind for ind in self.indicators for item in ind.items}

    @cached_property
    def absent_able(self) -> frozenset[str]:
        return frozenset(i.id for i in self.indicators if i.absent_able)

    @cached_property
    def order(self) -> dict[str, int]:
        """Table order of item ids, used to list items the way the seed prints them."""
        return {item_id: n for n, item_id in enumerate(self.items)}


def _resolve_parameters(raw: dict[str, Any]) -> dict[str, Any]:
    """Replace "$name" date fields of items with the ruleset parameter of that name."""
    params: Mapping[str, Any] = raw.get("parameters", {})
    for ind in raw.get("indicator", []):
        for item in ind.get("item", []):
            for key in ("starts", "deadline"):
                value = item.get(key)
                if isinstance(value, str) and value.startswith("$"):
                    if value[1:] not in params:
                        raise RulesetError(f"{item.get('id')}: {key} names unknown parameter {value}")
                    item[key] = params[value[1:]]
    return raw


def parse_ruleset(text: str, origin: str = "<ruleset>") -> Ruleset:
    try:
        raw = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise RulesetError(f"{origin}: not valid TOML: {exc}") from None
    try:
        return Ruleset.model_validate(_resolve_parameters(raw))
    except ValidationError as exc:
        raise RulesetError(f"{origin}: {_describe(exc, raw)}") from None


def _describe(exc: ValidationError, raw: dict[str, Any]) -> str:
    """Pydantic errors rephrased with item ids instead of list positions."""
    lines = []
    for err in exc.errors():
        loc = list(err["loc"])
        where = ".".join(map(str, loc))
        if len(loc) >= 4 and loc[0] == "indicator" and loc[2] == "item":
            try:
                where = f"{raw['indicator'][loc[1]]['item'][loc[3]]['id']}." + ".".join(map(str, loc[4:]))
            except (KeyError, IndexError, TypeError):
                pass
        elif len(loc) >= 2 and loc[0] == "indicator":
            try:
                where = f"{raw['indicator'][loc[1]]['id']}." + ".".join(map(str, loc[2:]))
            except (KeyError, IndexError, TypeError):
                pass
        msg = err["msg"].removeprefix("Value error, ")
        lines.append(f"{where.rstrip('.')}: {msg}")
    return "; ".join(lines)


def companion_toml(text: str, ruleset: Ruleset, origin: str, what: str) -> dict[str, Any]:
    """A file kept beside a ruleset (submission requirements, inventory rules), parsed, and refused when
    it is not valid TOML or names another ruleset."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesetError(f"{origin}: not valid TOML: {exc}") from None
    if raw.get("ruleset") != ruleset.id:
        raise RulesetError(f"{origin}: {what} for ruleset {raw.get('ruleset')!r}, not {ruleset.id!r}")
    return raw


def load_ruleset(path: str | Path) -> Ruleset:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesetError(f"{p}: cannot read ruleset: {exc.strerror}") from None
    return parse_ruleset(text, str(p))


@lru_cache(maxsize=8)
def builtin_ruleset(ruleset_id: str = "gx-2019") -> Ruleset:
    """A ruleset shipped in scoring/rulesets/ (one file per ruleset id)."""
    ref = RULESETS_DIR / f"{ruleset_id}.toml"
    if not ref.is_file():
        raise RulesetError(f"no built-in ruleset {ruleset_id!r}")
    return parse_ruleset(ref.read_text(encoding="utf-8"), f"rulesets/{ruleset_id}.toml")
