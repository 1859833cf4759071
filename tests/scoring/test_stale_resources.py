"""metrics.stale_resources (per-resource memo, bisect over sorted updates) finds exactly what the
straightforward walk over every anchor finds, at any instant, however facts arrive."""

from __future__ import annotations

import json
import random
from bisect import bisect_right

import pytest
from contracts.fastdecode import decode
from scoring.domain.clock import DAY_US, add_months, month_bounds
from scoring.domain.facts import CatalogFacts, FactStore
from scoring.domain.memo import Memo
from scoring.domain.metrics.catalog import stale_resources
from scoring.domain.ruleset import builtin_ruleset
from scoring.domain.window import Occurrence, UnitView, Window

from tests.scoring.builders import CITY, DEPT, DEPT2, Log, code

ITEM = builtin_ruleset().items["B1.6"]
_DAYS = {"realtime": 1, "daily": 1, "weekly": 7}
_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}
CYCLES = (*_DAYS, *_MONTHS)


def _walk(facts: CatalogFacts, win: Window) -> list[Occurrence]:
    """The former implementation, kept as the specification."""
    out: list[Occurrence] = []
    for code_, pubs in facts.published.items():
        m = facts.mounted.get(code_)
        mount = m if m is not None and m[0] <= win.last else None
        visible = sorted((t, eid, cycle) for eid, (t, cycle) in pubs.items() if t <= win.last)
        if mount is None or not visible:
            continue
        cycle = visible[-1][2]
        lo = max(win.start, mount[0], visible[0][0])
        if lo > win.last:
            continue
        updates = facts.updates.get(code_, {})
        anchors = sorted([(mount[0], mount[1]), *((t, e) for t, e in updates.items() if t <= win.last)])
        times = [a[0] for a in anchors]
        i = max(bisect_right(times, lo) - 1, 0)
        while i < len(anchors) and anchors[i][0] <= win.last:
            a = anchors[i][0]
            stale_from = a + _DAYS[cycle] * DAY_US if cycle in _DAYS else add_months(a, _MONTHS[cycle])
            stale_to = anchors[i + 1][0] if i + 1 < len(anchors) else None
            if stale_from < win.last and (stale_to is None or (stale_to > lo and stale_from < stale_to)):
                out.append(Occurrence(max(stale_from + 1, lo), 1, None, (anchors[i][1],)))
                break
            i += 1
    return out


def _log(rng: random.Random) -> Log:
    log = Log()
    for unit in (DEPT, DEPT2, CITY):
        log.register(unit, kind="city" if unit == CITY else "department")
    for _ in range(rng.randrange(20, 120)):
        unit = rng.choice((DEPT, DEPT2, CITY))
        c = code(unit, rng.randrange(1, 5))
        day = f"2019-{rng.randrange(5, 10):02d}-{rng.randrange(1, 29):02d}"
        when = f"{day} {rng.randrange(24):02d}:{rng.randrange(60):02d}"
        kind = rng.randrange(6)
        if kind == 0:
            log.publish(unit, c, when, cycle=rng.choice(CYCLES))
        elif kind in (1, 2):
            log.mount(unit, c, when)
        else:
            log.update(unit, c, when)
    return log


@pytest.mark.parametrize("seed", range(25))
def test_equals_the_walk_over_every_anchor(seed: int) -> None:
    rng = random.Random(seed)
    events = [decode(json.dumps(e)) for e in _log(rng).events]
    rng.shuffle(events)
    store, memo = FactStore(), Memo()  # one memo throughout, as the live scorer keeps
    for k, env in enumerate(events):
        store.apply(env)
        last = k == len(events) - 1
        for unit in (DEPT, DEPT2, CITY) if last else (rng.choice((DEPT, DEPT2, CITY)),):
            facts = store.facts(unit)
            view = UnitView(unit, "department", facts, store, memo)
            for month in ("2019-06", "2019-07", "2019-08", "2019-09", "2019-10"):
                start, end = month_bounds(month)
                # the same instant after every event: the cache must notice what changed
                for t in (end, start + 1, rng.randrange(start, end)) if last else (end,):
                    for _ in range(2):  # the second call answers from the cache
                        found = stale_resources(view, ITEM, Window.of(month, t)).value
                        assert found == _walk(facts.catalog, Window.of(month, t))
