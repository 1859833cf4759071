"""Submission requirements (what units submit to the bureau, by when, and which item a miss costs) and
the judgement of one requirement for one unit and period. Pure: no I/O, instants in, a miss out.

A requirement is met for a period when a submission of its kind for that period was received by the
deadline and has not been returned. Otherwise it is missed from the deadline, or from the return of
the last on-time submission if that came later. A flag item's miss ends when a submission for the
period is accepted; accepted before the miss would have begun, there is no miss. Monthly reports are
due from the requirement's first month until an accepted report says the work is complete.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from scoring.domain.clock import Instant, date_end, month_of, shift_month
from scoring.domain.item_checks import RulesetError
from scoring.domain.ruleset import Ruleset, companion_toml

ONCE: Literal["once"] = "once"
# Submissions judged only this long after their deadline: one received just before it may still be
# committing when the deadline passes (the sweep and a submission run in separate transactions).
GRACE_US = 60 * 1_000_000
# A newly registered unit is judged from one day after its registration (event time): the bureau's first
# day with it, to enter what the unit had sent before the hub knew it (received on paper, with the day).
ONBOARDING_US = 86_400 * 1_000_000


@dataclass(frozen=True, slots=True)
class Requirement:
    kind: str
    title_zh: str
    item: str
    due: Literal["once", "monthly"]
    deadline: date | None = None  # once
    first_month: str | None = None  # monthly: the first month a report is due in
    day: int | None = None  # monthly: due by the end of this calendar day of the month

    def periods(self, now: Instant) -> list[str]:
        """The periods whose deadline has passed (with the grace) at `now`."""
        if self.due == ONCE:
            return [ONCE] if self.deadline_at(ONCE) + GRACE_US <= now else []
        assert self.first_month is not None
        found, month = [], self.first_month
        while month <= month_of(now):
            if self.deadline_at(month) + GRACE_US <= now:
                found.append(month)
            month = shift_month(month, 1)
        return found

    def deadline_at(self, period: str) -> Instant:
        """The end of the day the period's submission is due."""
        if self.due == ONCE:
            assert self.deadline is not None
            return date_end(self.deadline)
        assert self.day is not None
        year, month = map(int, period.split("-"))
        return date_end(date(year, month, self.day))

    def describe(self, period: str) -> str:
        """How an explanation names what was missed."""
        when = self.deadline.isoformat() if self.due == ONCE and self.deadline else f"{period}-{self.day:02d}"
        what = self.title_zh if self.due == ONCE else f"{period} {self.title_zh}"
        return f"未按要求报送{what}（截止 {when} 24:00）"


@dataclass(frozen=True, slots=True)
class Submitted:
    """One submission as the judgement sees it."""

    submission_id: str
    period: str
    received_at: Instant
    accepted_at: Instant | None = None
    returned_at: Instant | None = None
    completed: bool = False


@dataclass(frozen=True, slots=True)
class Miss:
    at: Instant  # when the requirement became missed
    resolved_at: Instant | None  # flag items: when an accepted submission ended the miss (None: not yet)


def judge(req: Requirement, period: str, subs: list[Submitted], now: Instant, flag: bool) -> Miss | None:
    """Whether the unit missed the requirement for `period`, as known at `now` (returns and acceptances
    at or before `now`); `subs` are the unit's submissions of the requirement's kind."""
    deadline = req.deadline_at(period)
    if now <= deadline:
        return None
    mine = [s for s in subs if s.period == period]
    on_time = [s for s in mine if s.received_at <= deadline]
    if any(s.returned_at is None or s.returned_at > now for s in on_time):
        return None  # received in time and not returned (under review, or accepted)
    at = max([deadline, *(s.returned_at for s in on_time if s.returned_at is not None)])
    accepted = min((s.accepted_at for s in mine if s.accepted_at is not None and s.accepted_at <= now), default=None)
    if not flag:
        return Miss(at, None)
    if accepted is not None and accepted <= at:
        return None  # a late submission was accepted before the miss began: nothing held
    return Miss(at, accepted)


def due_periods(req: Requirement, subs: list[Submitted], now: Instant) -> list[str]:
    """The requirement's periods judged at `now`: a monthly report stops being due once a report
    saying the work is complete was accepted before the month's deadline."""
    periods = req.periods(now)
    if req.due == ONCE:
        return periods
    done = [(s.period, s.accepted_at) for s in subs if s.completed and s.accepted_at is not None]
    return [p for p in periods if not any(period < p and a < req.deadline_at(p) for period, a in done)]


def next_change(requirements: Sequence[Requirement], subs: Iterable[Submitted], registered: Iterable[Instant],
                now: Instant) -> Instant | None:
    """The earliest instant after `now` at which a judgement of these submissions (and units registered at
    these instants) can differ from the one at `now`: a period's deadline passing (with the grace), a
    return or acceptance stamped ahead of `now`, a unit's first day ending. None: time alone changes nothing."""
    ahead: list[Instant] = []
    for req in requirements:
        if req.due == ONCE:
            ahead.append(req.deadline_at(ONCE) + GRACE_US)
            continue
        assert req.first_month is not None
        month = max(req.first_month, month_of(now))
        ahead += [req.deadline_at(month) + GRACE_US, req.deadline_at(shift_month(month, 1)) + GRACE_US]
    return first_after(now, ahead, subs, [x + ONBOARDING_US for x in registered])


def first_after(now: Instant, ahead: Iterable[Instant], subs: Iterable[Submitted],
                more: Iterable[Instant] = ()) -> Instant | None:
    """The earliest instant after `now` among `ahead`, the reviews of `subs` and `more` (None: none)."""
    reviews = (x for sub in subs for x in (sub.accepted_at, sub.returned_at) if x is not None)
    return min((x for x in (*ahead, *reviews, *more) if x > now), default=None)


@dataclass(frozen=True, slots=True)
class Requirements:
    ruleset: str
    requirements: tuple[Requirement, ...]

    def of_kind(self, kind: str) -> Requirement | None:
        return next((r for r in self.requirements if r.kind == kind), None)

    def binding(self, ruleset: Ruleset, unit_kind: str, absent: frozenset[str]) -> list[Requirement]:
        """The requirements a unit of this kind is bound by: the item applies to it and its
        indicator is not declared absent."""
        out = []
        for req in self.requirements:
            item = ruleset.items[req.item]
            indicator = req.item.split(".")[0]
            if unit_kind in item.applies_to and indicator not in absent:
                out.append(req)
        return out


def parse_requirements(text: str, ruleset: Ruleset, origin: str) -> Requirements:
    """Requirements checked against the ruleset: each feeds an inspector's item (flag or occurrence)."""
    raw = companion_toml(text, ruleset, origin, "requirements")
    found = tuple(_requirement(r, ruleset, origin) for r in raw.get("requirement", []))
    kinds = [r.kind for r in found]
    if len(set(kinds)) != len(kinds):
        raise RulesetError(f"{origin}: a submission kind is named twice")
    return Requirements(ruleset.id, found)


def _requirement(raw: dict[str, Any], ruleset: Ruleset, origin: str) -> Requirement:
    where = f"{origin}: requirement {raw.get('kind', '?')}"
    item = ruleset.items.get(str(raw.get("item")))
    if item is None or item.source != "insp" or item.kind not in ("flag", "occurrence"):
        raise RulesetError(f"{where}: item {raw.get('item')!r} is not an inspector's flag or occurrence item")
    due = raw.get("due")
    try:
        if due == ONCE:
            req = Requirement(str(raw["kind"]), str(raw["title_zh"]), item.id, ONCE, deadline=raw["deadline"])
            if not isinstance(req.deadline, date):
                raise RulesetError(f"{where}: deadline must be a date")
        elif due == "monthly":
            req = Requirement(str(raw["kind"]), str(raw["title_zh"]), item.id, "monthly",
                              first_month=str(raw["from"]), day=int(raw["day"]))
            if req.day is None or not 1 <= req.day <= 28:
                raise RulesetError(f"{where}: day must be 1-28 (every month has it)")
            month_of_first = req.first_month or ""
            if len(month_of_first) != 7 or month_of_first[4] != "-":
                raise RulesetError(f"{where}: from must be a month YYYY-MM")
        else:
            raise RulesetError(f"{where}: due must be 'once' or 'monthly'")
    except KeyError as exc:
        raise RulesetError(f"{where}: {exc.args[0]} is required") from None
    return req


def builtin_requirements(ruleset: Ruleset, rulesets_dir: Path) -> Requirements:
    """The requirements shipped beside the ruleset (`<id>.submissions.toml`); none when there is no file."""
    path = rulesets_dir / f"{ruleset.id}.submissions.toml"
    if not path.is_file():
        return Requirements(ruleset.id, ())
    return parse_requirements(path.read_text(encoding="utf-8"), ruleset, f"rulesets/{path.name}")
