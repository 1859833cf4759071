"""Readers never see the projection's memory while a start rebuilds it from the archive.

CI caught a reader that did: the board listed a unit as exempt (its registration already folded) while the
stored result of that exempt month was still there, because the rebuild withdraws such rows only after the
whole archive is folded. The rebuild now builds its memory aside and shows it whole."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from contracts import encode, new_envelope
from contracts.registry_events import UnitRegistered
from contracts.values import make_uscc
from scoring.domain.clock import SHANGHAI
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


async def test_readers_see_the_rebuilt_memory_only_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    red = make_uscc("450000", uuid.uuid4().hex[:8].upper())
    live = LiveProjector(builtin_ruleset())
    seen: list[tuple[list[str], int]] = []
    withdrawn: list[set[tuple[str, str]]] = []

    async def stream(pool: Any, shard: int = 0, after: int = 0) -> AsyncIterator[tuple[int, bytes]]:
        for position, raw in enumerate(_events(red), start=1):
            if position <= after:
                continue
            yield position, raw
            # what a reader (the board, the dashboards) would see at this instant
            seen.append((live.projection.store.directory.exempt_units("2019-08"), live.position))

    async def remove_scores(conn: Any, keys: set[tuple[str, str]]) -> None:
        withdrawn.append(set(keys))
        seen.append((live.projection.store.directory.exempt_units("2019-08"), live.position))

    async def nothing(*_: Any) -> Any:
        return None

    async def no_counts(conn: Any) -> set[int]:
        return set()

    async def published(conn: Any) -> list[tuple[str, str]]:
        return [(red, "2019-07"), (red, "2019-08")]

    async def no_frame(conn: Any) -> tuple[None, None]:
        return None, None

    async def no_offsets(conn: Any, shard: int = 0) -> dict[Any, Any]:
        return {}

    monkeypatch.setattr(projector_module.archive, "stream", stream)
    for name, fake in (("remove_scores", remove_scores), ("shard_counts", no_counts), ("published_keys", published),
                       ("frame", no_frame), ("load_offsets", no_offsets)):
        monkeypatch.setattr(projector_module.state, name, fake)
    live.derived["activity"] = ((2, None), "figures of the memory before")
    live.lease._held = SimpleNamespace(transaction=contextlib.nullcontext)  # the held shard
    await live._rebuild(SimpleNamespace(pool=_Pool()))  # type: ignore[arg-type]

    assert withdrawn == [{(red, "2019-08")}]
    assert seen == [([], 0)] * 3  # folded halfway or whole, nothing shows before the stored rows agree
    assert live.projection.store.directory.exempt_units("2019-08") == [red]
    assert live.position == 2 and live.derived == {}
