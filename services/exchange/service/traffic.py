"""Counting the exchange's traffic per window of its clock (exchange.traffic-counted): one event per provider
with calls in a window, once the window is over, in one transaction with the mark that it was counted. Empty
windows are skipped (the count jumps to the next window with a call), so a quiet night or a clock moved on by
months costs nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contracts.exchange import TrafficCounted

from exchange.service.ports import ExchangeUnitOfWork

# A call is recorded when it ends: a window is counted once its last calls have ended (the gateway's
# longest timeout is far below this).
GRACE = timedelta(seconds=60)
MAX_WINDOWS = 50  # per pass: a long backlog is counted over several passes, each one short transaction
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def window_of(t: datetime, seconds: int) -> datetime:
    """The start of the window holding t (windows aligned on the epoch, so on the hour for divisors of it)."""
    elapsed = int((t - _EPOCH).total_seconds())
    return _EPOCH + timedelta(seconds=elapsed - elapsed % seconds)


async def count_traffic(now: datetime, uow: ExchangeUnitOfWork, seconds: int = 300) -> int:
    """One pass: count every closed window with calls since the last one counted; the number counted."""
    window = timedelta(seconds=seconds)
    counted = 0
    async with uow:
        last = await uow.rows.traffic_counted_until()
        first = await uow.rows.first_call(None if last is None else last + window)
        start = None if first is None else window_of(first, seconds)
        while start is not None and start + window + GRACE <= now and counted < MAX_WINDOWS:
            for r in await uow.rows.traffic(start, start + window):
                uow.emit(TrafficCounted(
                    window_start=start, window_seconds=seconds, calls=r["calls"], failed=r["failed"],
                    timeouts=r["timeouts"], unavailable=r["unavailable"], server_errors=r["server_errors"],
                    bad_responses=r["bad_responses"], p50_ms=round(r["p50"], 1), p95_ms=round(r["p95"], 1),
                    p99_ms=round(r["p99"], 1), response_bytes=r["response_bytes"]),
                    unit=r["provider"], at=start + window)
            await uow.rows.mark_traffic_counted(start)
            counted += 1
            following = await uow.rows.first_call(start + window)
            start = None if following is None else window_of(following, seconds)
        await uow.commit()
    return counted
