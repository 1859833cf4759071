"""How far the demo got on this hub, and what a new run plays: pure, apart from reading and writing the file.

The demo writes `HUB_HOME/demo.json` beside the hub's data (so `hub reset` removes both together): the months
it has begun, whether the current month's setup and end were played, the last day whose playing began and
the last instant it moved the services' clocks to. A day is marked begun *before* its first call, so a run
killed half-way through a day never plays that day again (its requests, calls and licenses are not
idempotent): the next run goes on from the day after. The services' clocks never go back, so a hub
restarted for the demo starts at the last instant the demo reached.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

SH = ZoneInfo("Asia/Shanghai")
FIRST_MONTH = "2019-08"  # the month a run plays on a new hub when it names a month to end with but none to start
# What a new hub plays when the run names nothing: three months on a sample of the directory (3 issuing
# departments, 3 cities, 3 other departments), so trends, closed
# months, adjustments and month-on-month changes show within about three minutes here (one month of all 64
# units takes about as long: `hub up --demo --month 2019-08`).
DEFAULT_RANGE = ("2019-07", "2019-09")
DEFAULT_UNITS = 9
DEFAULT_SEED = 7
FILE = "demo.json"


@dataclass(frozen=True)
class Progress:
    seed: int
    units: int | None = None  # how many units of the reference directory the demo scores (None: all)
    months: tuple[str, ...] = ()  # every month begun, in order; the last is the current one
    setup_done: bool = False  # the current month's directory, requirements and license stock are in
    last_day: str | None = None  # the last day of the current month whose playing began (ISO date)
    finished: bool = False  # the current month's findings and end were played
    clock: str | None = None  # the last instant the demo moved the clocks to
    working_days: int = 0  # working days begun on this hub (files are attached to the stock five a day)

    @property
    def month(self) -> str | None:
        return self.months[-1] if self.months else None


@dataclass(frozen=True)
class Plan:
    """What this run does: play `month` from `first_day` (its setup first unless done), or nothing."""

    progress: Progress
    play: bool
    month: str
    first_day: date
    message: str | None = None  # one line for the person who ran it, when the hub already held demo data
    notes: list[str] = field(default_factory=list)
    until: str | None = None  # the last month this run plays (None: `month` only)

    @property
    def more(self) -> bool:
        """Whether the run goes on with the month after this one."""
        return self.play and self.until is not None and self.month < self.until

    @property
    def clock_start(self) -> datetime:
        """Where the services' clocks start: the month's first instant, or later if the demo got further."""
        start = datetime.combine(self.first_day, datetime.min.time(), tzinfo=SH)
        if self.progress.clock:
            start = max(start, datetime.fromisoformat(self.progress.clock))
        return start


def month_after(month: str) -> str:
    year, m = map(int, month.split("-"))
    return f"{year + m // 12}-{m % 12 + 1:02d}"


def first_of(month: str) -> date:
    year, m = map(int, month.split("-"))
    return date(year, m, 1)


def days_of(month: str) -> list[date]:
    d, out = first_of(month), []
    while d.strftime("%Y-%m") == month:
        out.append(d)
        d += timedelta(days=1)
    return out


def plan(progress: Progress | None, *, month: str | None = None, seed: int | None = None,
         units: int | None = None, until: str | None = None) -> Plan:
    """What the person asked for, None where they did not say: the month (default: whatever comes next),
    the last month of the run (`until`: each month up to it in turn), the seed (7) and how many units. A
    month already played is never played again; an unfinished one is finished first; the seed and unit
    count stay those of the hub's data. A new hub asked for nothing plays DEFAULT_RANGE on DEFAULT_UNITS."""
    if (progress is None or not progress.months) and month is None and until is None:
        month, until, units = *DEFAULT_RANGE, units or DEFAULT_UNITS
    found = _plan(progress, month=month, seed=seed, units=units)
    if until is None:
        return found
    if found.play and found.month > until:
        return replace(found, play=False, message=f"this hub's demo is past {until} already (demo months: "
                       f"{', '.join(progress.months if progress else ())}); `hub reset` starts afresh")
    return replace(found, until=until)


def _plan(progress: Progress | None, *, month: str | None, seed: int | None, units: int | None) -> Plan:
    if progress is None or not progress.months:
        chosen = month or FIRST_MONTH
        fresh = Progress(seed=DEFAULT_SEED if seed is None else seed, units=units)
        return Plan(replace(fresh, months=(chosen,)), True, chosen, first_of(chosen))
    notes = []
    if (seed is not None and seed != progress.seed) or (units is not None and units != progress.units):
        notes.append(f"this hub's demo data was made with seed {progress.seed} and "
                     f"{progress.units or 'all'} units; going on with those (hub reset to start afresh)")
    current = progress.month
    assert current is not None
    if not progress.finished:
        last = date.fromisoformat(progress.last_day) if progress.last_day else None
        first = last + timedelta(days=1) if last else first_of(current)
        said = (f"an earlier demo run stopped during {last.isoformat()}; continuing {current} from "
                f"{first.isoformat()}" if last else f"an earlier demo run stopped while setting up {current}; "
                f"continuing it")
        if month and month != current:
            said += f" (before {month})"
        return Plan(progress, True, current, first, said, notes)
    following = month_after(current)
    if month is not None and month <= current:
        played = month in progress.months
        return Plan(progress, False, month, first_of(month),
                    f"{month} {'was played already' if played else 'lies before the months played'} on this hub "
                    f"(demo months: {', '.join(progress.months)}); showing its scores. `hub reset` starts afresh.",
                    notes)
    chosen = month or following
    began = replace(progress, months=(*progress.months, chosen), setup_done=False, last_day=None, finished=False)
    return Plan(began, True, chosen, first_of(chosen),
                f"this hub already holds the demo up to {current}; playing {chosen} on top of it "
                f"(`hub reset` starts afresh)", notes)


def load(home: Path) -> Progress | None:
    path = home / FILE
    if not path.exists():
        return None
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["months"] = tuple(raw.get("months") or ())
    return Progress(**raw)


def save(home: Path, progress: Progress) -> None:
    """Atomically: a run killed while writing leaves the previous progress, never half a file."""
    home.mkdir(parents=True, exist_ok=True)
    tmp = home / f".{FILE}.tmp"
    with open(tmp, "w", encoding="utf-8") as out:
        json.dump(asdict(progress), out, ensure_ascii=False, indent=2)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, home / FILE)
