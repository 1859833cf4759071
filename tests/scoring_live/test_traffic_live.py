"""#17 part 5 / #20 on the real service and database: the exchange's traffic counts, as the scoring service's
`traffic` consumer applies them, fill the dashboard's table, and a provider whose calls start failing gets one
alert in its own feed (not one per window while they fail). The counts are applied through the consumer's
handler in a transaction of the service's pool, as its consumer does: on the shared test broker the
consumer group is also joined by other tests' services, with other databases, which may be handed the
partition (the Kafka path itself is the one every consumer shares, tested with the anomaly alerts)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from contracts import Envelope, new_envelope
from contracts.exchange import TrafficCounted
from hubkit.testing import running_app, token
from scoring.bootstrap import create_app
from scoring.messaging import traffic as traffic_counts
from scoring.settings import ScoringSettings

from tests.scoring_live.test_live_projection import unique_unit

pytestmark = pytest.mark.integration
SH = ZoneInfo("Asia/Shanghai")


def window(provider: str, minute: int, calls: int, failed: int) -> Envelope:
    start = datetime(2019, 8, 7, 9, minute, tzinfo=SH)
    return new_envelope(TrafficCounted(
        window_start=start, window_seconds=300, calls=calls, failed=failed, timeouts=failed, unavailable=0,
        server_errors=0, bad_responses=0, p50_ms=20.0, p95_ms=200.0, p99_ms=900.0, response_bytes=calls * 100),
        unit=provider, occurred_at=start + timedelta(minutes=5))


async def test_a_provider_hears_once_when_its_calls_start_failing(database_url: str, kafka_bootstrap: str) -> None:
    provider = unique_unit()
    counts = [window(provider, 0, 20, 1), window(provider, 5, 20, 12), window(provider, 10, 10, 9)]
    settings = ScoringSettings(submissions="none", inventory="none", database_url=database_url,
                               kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.05)
    own = token("department", provider)
    async with running_app(create_app(settings)) as client:
        pool = client._transport.app.state.host.pool  # type: ignore[attr-defined]
        for env in [*counts, counts[1]]:  # the second count delivered twice changes nothing
            async with pool.acquire() as conn, conn.transaction():
                await traffic_counts.apply(conn, env)
        assert await pool.fetchval("SELECT count(*) FROM traffic WHERE provider = $1", provider) == 3
        assert await pool.fetchval("SELECT sum(calls) FROM traffic WHERE provider = $1", provider) == 50
        feed = (await client.get(f"/alerts/{provider}", headers=own)).json()
        traffic = [a for a in feed if a["type"] == "exchange.traffic-counted"]
        # 09:00-09:10: 40 calls, 13 failed (32.5 %) after 20 calls with 1 failure: one alert; still failing at
        # 09:15 (50 calls, 22 failed): nothing more
        assert [a["title"] for a in traffic] == ["【接口告警】本单位共享接口失败率 32.5%"], feed
        assert traffic[0]["to"] == "2019-08-07T09:10:00+08:00" and traffic[0]["points"] == "0"
        assert (await client.get(f"/alerts/{provider}", headers=token("department", unique_unit()))).status_code \
            == 403
