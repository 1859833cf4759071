"""What a demo run plays on a hub that already holds demo data (#22): never a month or a day twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

from hubdemo import progress as saved
from hubdemo.progress import SH, Progress, days_of, month_after, plan
from hypothesis import given
from hypothesis import strategies as st

MONTHS = ["2019-08", "2019-09", "2019-10", "2019-11", "2019-12", "2020-01"]


def test_a_new_hub_asked_for_a_month_plays_it_from_its_first_day_with_its_setup() -> None:
    p = plan(None, month="2019-08")
    assert (p.play, p.month, p.first_day, p.message, p.until, p.more) == (True, "2019-08", date(2019, 8, 1), None,
                                                                          None, False)
    assert p.progress.months == ("2019-08",) and not p.progress.setup_done and p.progress.seed == 7
    assert p.progress.units is None  # the whole directory
    assert p.clock_start == datetime(2019, 8, 1, tzinfo=SH)


def test_a_new_hub_asked_for_nothing_plays_july_to_september_on_a_sample() -> None:
    p = plan(None)
    assert (p.play, p.month, p.until, p.more) == (True, "2019-07", "2019-09", True)
    assert p.progress.units == 9 and p.progress.months == ("2019-07",)
    assert plan(None, units=30).progress.units == 30


def test_a_range_plays_each_month_in_turn_and_stops_after_its_last() -> None:
    p = plan(None, month="2019-07", until="2019-08")
    assert (p.month, p.more) == ("2019-07", True)
    done = replace(p.progress, setup_done=True, last_day="2019-07-31", finished=True)
    second = plan(done, until="2019-08")
    assert (second.play, second.month, second.more) == (True, "2019-08", False)
    finished = replace(second.progress, setup_done=True, last_day="2019-08-31", finished=True)
    past = plan(finished, until="2019-08")
    assert not past.play and "past 2019-08 already" in (past.message or "")
    # a killed run's month is finished first, then the range goes on
    killed = replace(second.progress, setup_done=True, last_day="2019-08-12")
    resumed = plan(killed, until="2019-09")
    assert (resumed.month, resumed.first_day, resumed.more) == ("2019-08", date(2019, 8, 13), True)


def test_after_a_finished_month_the_next_one_is_played_from_where_the_clock_got() -> None:
    done = Progress(seed=7, months=("2019-08",), setup_done=True, last_day="2019-08-31", finished=True,
                    clock="2019-09-01T09:00:00+08:00", working_days=22)
    p = plan(done)
    assert (p.play, p.month, p.first_day) == (True, "2019-09", date(2019, 9, 1))
    assert "already holds the demo up to 2019-08; playing 2019-09" in (p.message or "")
    assert p.progress.months == ("2019-08", "2019-09") and not p.progress.setup_done and not p.progress.finished
    assert p.progress.working_days == 22  # the stock's files go on from where they were
    assert p.clock_start == datetime(2019, 9, 1, 9, tzinfo=SH)  # the clocks never go back


def test_a_month_played_already_is_shown_not_played() -> None:
    done = Progress(seed=7, months=("2019-08", "2019-09"), setup_done=True, last_day="2019-09-30", finished=True)
    p = plan(done, month="2019-08")
    assert not p.play and "2019-08 was played already" in (p.message or "")
    assert plan(done, month="2019-07").play is False


def test_a_killed_run_is_continued_from_the_day_after_the_last_one_begun() -> None:
    killed = Progress(seed=7, months=("2019-08",), setup_done=True, last_day="2019-08-13",
                      clock="2019-08-13T18:00:00+08:00", working_days=9)
    p = plan(killed, month="2019-10")
    assert (p.play, p.month, p.first_day) == (True, "2019-08", date(2019, 8, 14))
    assert "stopped during 2019-08-13; continuing 2019-08 from 2019-08-14" in (p.message or "")
    assert p.clock_start == datetime(2019, 8, 14, tzinfo=SH)
    in_setup = plan(Progress(seed=7, months=("2019-08",)))
    assert in_setup.first_day == date(2019, 8, 1) and "while setting up 2019-08" in (in_setup.message or "")


def test_the_hubs_seed_and_units_stay_and_a_different_ask_is_said() -> None:
    done = Progress(seed=3, units=6, months=("2019-08",), setup_done=True, finished=True)
    p = plan(done, seed=7, units=None)
    assert p.progress.seed == 3 and p.progress.units == 6 and p.notes
    assert not plan(done).notes


@given(st.lists(st.sampled_from(["next", "ask", "kill"]), min_size=1, max_size=12), st.data())
def test_no_month_and_no_day_is_ever_played_twice(steps: list[str], data: st.DataObject) -> None:
    """Runs in any order, asked for any month, killed at any day: every day is begun at most once and the
    clocks never go back."""
    progress: Progress | None = None
    begun: list[date] = []
    clock = datetime(2019, 1, 1, tzinfo=SH)
    for step in steps:
        asked = data.draw(st.sampled_from([None, *MONTHS])) if step == "ask" else None
        p = plan(progress, month=asked)
        assert p.clock_start >= clock
        if not p.play:
            continue
        progress = p.progress
        days = [d for d in days_of(p.month) if d >= p.first_day]
        stop_at = data.draw(st.integers(0, len(days))) if step == "kill" else len(days)
        progress = replace(progress, setup_done=True)
        for day in days[:stop_at]:
            begun.append(day)
            clock = datetime.combine(day, datetime.min.time(), tzinfo=SH) + timedelta(hours=18)
            progress = replace(progress, last_day=day.isoformat(), clock=clock.isoformat())
        if stop_at == len(days):
            clock = datetime.combine(days_of(p.month)[-1] + timedelta(days=1), datetime.min.time(), tzinfo=SH)
            progress = replace(progress, finished=True, clock=clock.isoformat())
    assert len(begun) == len(set(begun))
    assert begun == sorted(begun)


def test_progress_is_written_whole_and_read_back(tmp_path: Path) -> None:
    p = Progress(seed=7, units=6, months=("2019-08", "2019-09"), setup_done=True, last_day="2019-09-03",
                 clock="2019-09-03T18:00:00+08:00", working_days=24)
    saved.save(tmp_path, p)
    assert saved.load(tmp_path) == p
    assert saved.load(tmp_path / "elsewhere") is None
    assert not list(tmp_path.glob(".*.tmp"))
    assert month_after("2019-12") == "2020-01"
