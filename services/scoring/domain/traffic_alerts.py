"""When a provider's calls go wrong: over the last few windows of the exchange's traffic counts, failures at
or above a share of the calls, or a slow 95th percentile, with enough calls to judge. A provider is alerted
when its windows cross into that state, not again while they stay there."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

FAILURE_PERCENT = Decimal(20)
SLOW_P95_MS = 3000.0
MIN_CALLS = 10
SLIDING_WINDOWS = 3


@dataclass(frozen=True, slots=True)
class Span:
    """A provider's calls over consecutive windows."""

    calls: int
    failed: int
    p95_ms: float  # the slowest window's

    @property
    def failure_rate(self) -> Decimal:
        return (Decimal(self.failed) * 100 / self.calls).quantize(Decimal("0.1")) if self.calls else Decimal(0)


def breach(span: Span) -> str | None:
    """failures | slow | None."""
    if span.calls < MIN_CALLS:
        return None
    if span.failure_rate >= FAILURE_PERCENT:
        return "failures"
    return "slow" if span.p95_ms >= SLOW_P95_MS else None


def crossed(now: Span, before: Span) -> str | None:
    """What to alert about when the windows up to now breach and those up to the window before did not."""
    found = breach(now)
    return found if found is not None and breach(before) is None else None
