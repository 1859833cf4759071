"""The exchange counts its traffic per window of its clock (exchange.traffic-counted, #20's dashboard and
#17's statistics): one event per provider with calls in a closed window, at the window's end, once; quiet
windows cost nothing; a window is counted only after its last calls can have ended."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from contracts.exchange import TrafficCounted
from contracts.values import make_uscc
from exchange.service.traffic import GRACE, count_traffic, window_of

from tests.unit.exchange.fakes import FakeExchangeUnitOfWork

SH = ZoneInfo("Asia/Shanghai")
P1, P2, C = (make_uscc("450000", f"MB15190{n}") for n in (1, 2, 3))


def call(n: int, provider: str, at: datetime, ms: float, error: str | None = None,
         size: int = 100) -> dict[str, object]:
    return {"id": f"c{n}", "consumer": C, "provider": provider, "resource_code": "x", "started_at": at,
            "ended_at": at + timedelta(milliseconds=ms), "duration_ms": ms,
            "status_code": 200 if error is None else 504, "request_bytes": 0, "response_bytes": size,
            "succeeded": error is None, "error": error}


def t(hour: int, minute: int, second: int = 0, day: int = 6) -> datetime:
    return datetime(2019, 8, day, hour, minute, second, tzinfo=SH)


async def test_each_closed_window_is_counted_once_per_provider_and_quiet_windows_are_skipped() -> None:
    uow = FakeExchangeUnitOfWork()
    calls = [call(1, P1, t(9, 0, 5), 10), call(2, P1, t(9, 1), 20), call(3, P1, t(9, 4, 59), 2000, "timeout"),
             call(4, P2, t(9, 3), 30, "server_error", size=0), call(5, P1, t(9, 5), 40),
             call(6, P2, t(14, 2), 50)]  # the afternoon: the windows between are quiet
    await uow.rows.insert_calls(calls)  # type: ignore[arg-type]

    # 09:05 + grace has not passed: the 09:00 window may still get calls that have not ended
    assert await count_traffic(t(9, 5) + GRACE - timedelta(seconds=1), uow, 300) == 0
    assert uow.committed_events == []

    assert await count_traffic(t(10, 0), uow, 300) == 2  # 09:00 and 09:05; 14:00 still ahead
    first = [(e.unit, e.occurred_at, e.data) for e in uow.committed_events]
    assert [(u, at) for u, at, _ in first] == [(P1, t(9, 5)), (P2, t(9, 5)), (P1, t(9, 10))]
    p1 = first[0][2]
    assert isinstance(p1, TrafficCounted)
    assert (p1.window_start, p1.window_seconds, p1.calls, p1.failed, p1.timeouts) == (t(9, 0), 300, 3, 1, 1)
    assert (p1.p50_ms, p1.p95_ms, p1.response_bytes) == (20.0, 1802.0, 300)  # 10, 20, 2000 ms
    p2 = first[1][2]
    assert isinstance(p2, TrafficCounted) and (p2.calls, p2.failed, p2.server_errors, p2.timeouts) == (1, 1, 1, 0)

    # nothing counted twice; the next pass picks up from the next window with a call
    assert await count_traffic(t(10, 0), uow, 300) == 0
    assert await count_traffic(t(23, 0), uow, 300) == 1
    last = uow.committed_events[-1]
    assert (last.unit, last.occurred_at) == (P2, t(14, 5))
    assert uow.rows.traffic_windows == {t(9, 0), t(9, 5), t(14, 0)}


async def test_windows_are_aligned_on_the_hour() -> None:
    assert window_of(t(9, 7, 31), 300) == t(9, 5)
    assert window_of(t(9, 59, 59), 3600) == t(9, 0)
    assert window_of(t(0, 0), 86_400) == t(8, 0, day=5)  # a day's window starts at midnight UTC (08:00 here)
