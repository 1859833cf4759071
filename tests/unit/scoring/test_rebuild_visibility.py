"""Readers never see the projection's memory while a start rebuilds it from the archive.

CI caught a reader that did: the board listed a unit as exempt (its registration already folded) while the
stored result of that exempt month was still there, because the rebuild withdraws such rows only after the
whole archive is folded. The rebuild now builds its memory aside and shows it whole."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from contracts import encode, new_envelope
from contracts.registry_events import UnitRegistered
from contracts.values import make_uscc
from scoring.domain.clock import SHANGHAI
from scoring.domain.projection import Projection
from scoring.domain.ruleset import builtin_ruleset
from scoring.messaging import projector as projector_module
from scoring.messaging.projector import LiveProjector

BASIS = "桂数函〔2019〕258号附件1标注红色"


def _events(unit: str) -> list[bytes]:
    plain = UnitRegistered(name="自治区测试红标厅", kind="department", division_code="450000")
    exempt = UnitRegistered(name="自治区测试红标厅", kind="department", division_code="450000",
                            exempt_from=date(2019, 8, 1), exempt_basis=BASIS)
    return [encode(new_envelope(data, unit=unit, occurred_at=datetime(2019, 7, day, 9, tzinfo=SHANGHAI)))
            for day, data in ((1, plain), (20, exempt))]


class _Pool:
    def acquire(self) -> Any:
        return contextlib.nullcontext(SimpleNamespace())


def _fake_storage(monkeypatch: pytest.MonkeyPatch, live: LiveProjector, events: list[bytes],
                  published: list[tuple[str, str]], look: Callable[[], None],
                  agreement: set[tuple[str, str]] | None = None) -> list[set[tuple[str, str]]]:
    """The archive and the stored state a rebuild reads, in memory; `look` runs after each archive row and after
    the stored rows are made to agree. Returns the keys withdrawn; `agreement` receives those rewritten to agree
    with memory."""
    withdrawn: list[set[tuple[str, str]]] = []
    agreed = agreement if agreement is not None else set()

    async def stream(pool: Any, shard: int = 0, after: int = 0) -> AsyncIterator[tuple[int, bytes]]:
        for position, raw in enumerate(events, start=1):
            if position <= after:
                continue
            yield position, raw
            look()

    async def remove_scores(conn: Any, keys: set[tuple[str, str]]) -> None:
        withdrawn.append(set(keys))
        look()

    async def no_counts(conn: Any) -> set[int]:
        return set()

    async def published_rows(conn: Any) -> dict[tuple[str, str], Any]:
        return {key: SimpleNamespace(canonical=dict) for key in published}  # stored by some other memory

    async def store_changes(conn: Any, changes: list[Any], *args: Any) -> None:
        agreed.update((c.unit, c.month) for c in changes)

    async def no_frame(conn: Any) -> tuple[None, None]:
        return None, None

    async def no_offsets(conn: Any, shard: int = 0) -> dict[Any, Any]:
        return {}

    async def never_resharded(conn: Any) -> int:
        return 0

    monkeypatch.setattr(projector_module.archive, "stream", stream)
    for name, fake in (("remove_scores", remove_scores), ("shard_counts", no_counts),
                       ("published_rows", published_rows), ("frame", no_frame), ("load_offsets", no_offsets),
                       ("resharded_at", never_resharded)):
        monkeypatch.setattr(projector_module.state, name, fake)
    monkeypatch.setattr(projector_module.batches, "store_changes", store_changes)
    live.lease._held = SimpleNamespace(transaction=contextlib.nullcontext)  # the held shard
    return withdrawn


async def test_readers_see_the_rebuilt_memory_only_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    red = make_uscc("450000", uuid.uuid4().hex[:8].upper())
    live = LiveProjector(builtin_ruleset())
    seen: list[tuple[list[str], int]] = []

    def look() -> None:  # what a reader (the board, the dashboards) would see at this instant
        seen.append((live.projection.store.directory.exempt_units("2019-08"), live.position))

    agreed: set[tuple[str, str]] = set()
    withdrawn = _fake_storage(monkeypatch, live, _events(red), [(red, "2019-07"), (red, "2019-08")], look, agreed)
    live.derived["activity"] = ((2, None), "figures of the memory before")
    await live._rebuild(SimpleNamespace(pool=_Pool()))  # type: ignore[arg-type]

    assert withdrawn == [{(red, "2019-08")}]
    assert agreed == {(red, "2019-07")}  # the row left scores otherwise than memory: rewritten
    assert seen == [([], 0)] * 3  # folded halfway or whole, nothing shows before the stored rows agree
    assert live.projection.store.directory.exempt_units("2019-08") == [red]
    assert live.position == 2 and live.derived == {}


async def test_a_rebuild_answers_requests_while_it_evaluates_every_unit_month(monkeypatch: pytest.MonkeyPatch) -> None:
    """A start re-evaluates every stored unit-month (a province's year: tens of thousands, seconds of work). Done in
    one step it held the event loop so long that a request to the starting service timed out (a CI run, on
    the shared test database). It is done in parts, and other work runs between them."""
    units = [make_uscc("450000", uuid.uuid4().hex[:8].upper()) for _ in range(3)]
    plain = UnitRegistered(name="自治区测试厅", kind="department", division_code="450000")
    events = [encode(new_envelope(plain, unit=unit, occurred_at=datetime(2019, 1, 2, 9, tzinfo=SHANGHAI)))
              for unit in units]
    later = UnitRegistered(name="自治区测试厅（更名）", kind="department", division_code="450000")  # moves time on
    events.append(encode(new_envelope(later, unit=units[0], occurred_at=datetime(2026, 6, 1, 9, tzinfo=SHANGHAI))))
    months = [f"{year}-{month:02d}" for year in range(2019, 2027) for month in range(1, 13)][:90]
    live = LiveProjector(builtin_ruleset())
    _fake_storage(monkeypatch, live, events, [(unit, month) for unit in units for month in months], lambda: None)
    ticks, parts = [0], []
    refreshing = Projection.refreshing

    def counted(self: Projection, *args: Any, **kwargs: Any) -> Iterator[list[Any]]:
        for part in refreshing(self, *args, **kwargs):
            parts.append(ticks[0])  # how often other work had run when this part was done
            yield part

    async def other_work() -> None:
        while True:
            await asyncio.sleep(0)
            ticks[0] += 1

    monkeypatch.setattr(Projection, "refreshing", counted)
    worker = asyncio.create_task(other_work())
    await asyncio.sleep(0)
    try:
        await live._rebuild(SimpleNamespace(pool=_Pool()))  # type: ignore[arg-type]
    finally:
        worker.cancel()
    assert len(parts) >= 2  # 270 unit-months: more than one part
    assert all(b > a for a, b in itertools.pairwise(parts))  # other work ran between every two parts
    assert {key for key in live.projection.published} == {(u, m) for u in units for m in months}
