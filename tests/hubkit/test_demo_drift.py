"""#20 part 5: over several demo months units improve or slip a step at a time, decided by the seed alone, and a
hub's first month is what a one-month demo always played."""

from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import pairwise

from contracts.values import make_uscc
from hubdemo.acts_catalog import CatalogActs
from hubdemo.cast import BATCHES, PROFILE_STEPS, PROFILES, batch_of
from hubdemo.progress import Progress

MONTHS = ("2019-06", "2019-07", "2019-08", "2019-09")
UNITS = [make_uscc("450000", f"{n:08d}") for n in range(64)]


@dataclass
class Seeded:
    progress: Progress
    month: str
    seed: int = 7

    def rng_for(self, *what: object) -> random.Random:
        return random.Random(":".join(map(str, (self.seed, *what))))


def profiles(month: str) -> dict[str, str]:
    at = Seeded(Progress(seed=7, months=MONTHS[: MONTHS.index(month) + 1]), month)
    return {u: CatalogActs.profile_of(at, u) for u in UNITS}  # type: ignore[arg-type]


def test_the_first_month_is_the_seeds_draw_and_later_months_drift_a_step_at_a_time() -> None:
    first = profiles("2019-06")
    weights = [v[0] for v in PROFILES.values()]
    assert first == {u: random.Random(f"7:profile:{u}").choices(list(PROFILES), weights=weights)[0] for u in UNITS}
    path = {u: [PROFILE_STEPS.index(profiles(m)[u]) for m in MONTHS] for u in UNITS}
    moves = [b - a for steps in path.values() for a, b in pairwise(steps)]
    assert set(moves) <= {-1, 0, 1}
    improved = [u for u, s in path.items() if s[-1] > s[0]]
    slipped = [u for u, s in path.items() if s[-1] < s[0]]
    assert len(improved) >= 5 and len(slipped) >= 2
    # a unit goes one way only, and most stay as they were
    assert not any(min(s) < s[0] and max(s) > s[0] for s in path.values())
    assert sum(1 for s in path.values() if len(set(s)) == 1) >= 32
    assert profiles("2019-09") == profiles("2019-09")  # the seed decides, not the order of earlier draws


def test_each_month_asks_for_a_batch_the_first_catalogue_batch_first_then_the_others_in_turn() -> None:
    kinds = [batch_of(n)[0] for n in range(8)]
    assert kinds[0] == "first_batch_catalog" and kinds[1:4] == [k for k, _ in BATCHES[1:]]
    assert kinds[4:7] == kinds[1:4] and kinds[7] == kinds[1]  # a fifth month and later: no end of months
