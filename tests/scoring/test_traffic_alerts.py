"""A provider hears of its calls going wrong before they cost B1.8 points: once its last windows cross into
failing (a fifth of the calls) or slow (p95 of 3 s) calls with enough calls to judge, not again while they
stay there, and again after they recover and go wrong anew."""

from __future__ import annotations

from decimal import Decimal

from scoring.domain.alert_text import render_traffic
from scoring.domain.traffic_alerts import Span, breach, crossed


def test_failures_or_slowness_with_enough_calls_breach() -> None:
    assert breach(Span(40, 8, 100.0)) == "failures" and Span(40, 8, 100.0).failure_rate == Decimal("20.0")
    assert breach(Span(40, 7, 100.0)) is None
    assert breach(Span(9, 9, 9000.0)) is None  # too few calls to judge
    assert breach(Span(10, 0, 3000.0)) == "slow"
    assert breach(Span(10, 5, 5000.0)) == "failures"  # failures say more than slowness


def test_only_the_crossing_is_alerted() -> None:
    calm, bad = Span(40, 1, 50.0), Span(40, 13, 50.0)
    assert crossed(bad, calm) == "failures"
    assert crossed(bad, bad) is None  # still failing: said already
    assert crossed(calm, bad) is None  # recovered: nothing to say
    assert crossed(Span(12, 0, 4000.0), calm) == "slow"


def test_the_alert_says_what_and_where_to_look() -> None:
    words = render_traffic({"unit": "U1", "reason": "failures", "from": "2019-08-05T09:00:00+08:00",
                            "to": "2019-08-05T09:15:00+08:00", "calls": 40, "failed": 13, "failure_rate": "32.5",
                            "p95_ms": 812.0})
    assert words["title"] == "【接口告警】本单位共享接口失败率 32.5%"
    assert "2019-08-05 09:00 至 2019-08-05 09:15 共 40 次调用，失败 13 次（32.5%）" in words["text"]
    assert "GET /calls?provider=U1&status=failed" in words["text"] and "B1.8" in words["text"]
