"""#20 part 1: the operators' dashboard (the console's home page) in a real browser: its panels render on the
server, a deduction posted through the API reaches the live feed within 2 s, the charts' links lead to the
lists behind them (also with scripts blocked), and the same figures are an API only the console's roles read."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
from contracts import Envelope, new_envelope
from contracts.exchange import CallFailed, TrafficCounted
from contracts.registry_events import UnitRegistered
from contracts.values import build_resource_code, make_uscc
from hubkit.testing import serving, token
from scoring.bootstrap import create_app
from scoring.settings import ScoringSettings

from tests.browser.support import CHROMIUM, FLAGS, MARKS, OUTPUT, wait_total
from tests.scoring_live.test_live_projection import failed_call, publish, registered, unique_unit

SH = ZoneInfo("Asia/Shanghai")
pytestmark = MARKS


def city_and_county(tag: str) -> tuple[str, str, list[Envelope]]:
    city, county = make_uscc("450100", uuid.uuid4().hex[:8].upper()), make_uscc("450102", uuid.uuid4().hex[:8].upper())
    at = datetime(2019, 7, 1, 9, 0, tzinfo=SH)
    return city, county, [
        new_envelope(UnitRegistered(name=f"仪表市{tag}", kind="city", division_code="450100", parent_unit=None,
                                    absent_indicators=[]), unit=city, occurred_at=at),
        new_envelope(UnitRegistered(name=f"仪表县{tag}", kind="county", division_code="450102", parent_unit=city,
                                    absent_indicators=[]), unit=county, occurred_at=at)]


async def test_dashboard_panels_move_live_and_link_to_their_lists(database_url: str, kafka_bootstrap: str) -> None:
    from playwright.async_api import async_playwright, expect

    tag = uuid.uuid4().hex[:4]
    provider, consumer = unique_unit(), unique_unit()
    city, _, places = city_and_county(tag)
    # The exchange's count of the month's last window but one; an event of 1 September takes the projection
    # past August, so the dashboard of August reads the activity at the month's end (the latest window then
    # is this one: no other test counts calls in the last minutes of August 2019).
    counted = new_envelope(TrafficCounted(
        window_start=datetime(2019, 8, 31, 23, 50, tzinfo=SH), window_seconds=300, calls=30, failed=3, timeouts=2,
        unavailable=1, server_errors=0, bad_responses=0, p50_ms=12.0, p95_ms=640.0, p99_ms=1900.0,
        response_bytes=30_000), unit=provider, occurred_at=datetime(2019, 8, 31, 23, 55, tzinfo=SH))
    september = new_envelope(CallFailed(call_id=uuid.uuid4().hex, resource_code=build_resource_code(
        "450000", consumer, 1), consumer_unit=provider, data_kind="government", error="timeout"), unit=consumer,
        occurred_at=datetime(2019, 9, 1, 9, 0, tzinfo=SH))
    await publish(kafka_bootstrap, [registered(provider, f"自治区仪表厅{tag}"), registered(consumer, "自治区看板厅"),
                                    *places, counted, failed_call(provider, consumer, 5), september])
    settings = ScoringSettings(submissions="none", inventory="none",  # about other things: no submission is asked
                               database_url=database_url, kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.05)
    OUTPUT.mkdir(exist_ok=True)
    async with serving(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as client:
        await wait_total(client, provider, "98.00")
        await wait_total(client, city, None)

        # The figures as an API: the console's roles only; decimals as exact strings.
        refused = await client.get("/dashboard?month=2019-08", headers=token("department", provider))
        assert refused.status_code == 403 and refused.headers["content-type"].startswith("application/problem+json")
        # The exchange's traffic arrives through its own consumer: wait for it (bounded).
        deadline = time.monotonic() + 60
        while True:
            got = await client.get("/dashboard?month=2019-08", headers=token("auditor"))
            assert got.status_code == 200, got.text
            figures = got.json()
            if (figures["traffic"] or {}).get("window_start") == "2019-08-31T23:50:00+08:00" \
                    or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        calls = figures["traffic"]
        # this test's window only (others' tests may count their own windows at other times)
        assert calls["window_start"] == "2019-08-31T23:50:00+08:00", calls
        mine = [p for p in calls["providers"] if p[0] == provider]
        assert mine == [[provider, 30, 3, 640.0]]
        cities = {c["unit"]: c for c in figures["scores"]["cities"]}
        assert cities[city]["counties"] == [f"仪表县{tag}"] and cities[city]["name"] == f"仪表市{tag}"
        heat = {h["unit"]: h for h in figures["scores"]["heat"]}
        b1 = [i[0] for i in figures["scores"]["indicators"]].index("B1")
        assert heat[provider]["lost"][b1] == "2.00" and heat[provider]["total"] == "98.00"
        assert sum(c["now"] for c in figures["scores"]["bands"]) == figures["scores"]["units"]
        assert figures["activity"]["exchange"]["failed_month"] >= 1

        session = token("operator")["Authorization"][7:]
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
            try:
                context = await browser.new_context(viewport={"width": 1400, "height": 1000})
                await context.add_cookies([{"name": "hub_console", "value": session, "url": url}])
                page = await context.new_page()
                await page.goto(f"{url}/console?lang=zh&month=2019-08")
                await expect(page.locator("#live")).to_have_text("实时")
                await expect(page.locator("#panel-cities")).to_contain_text(f"仪表县{tag}")
                await expect(page.locator("#panel-heat")).to_contain_text(f"自治区仪表厅{tag}")
                for panel in ("bands", "distribution", "costliest", "trend", "catalog", "exchange", "licenses",
                              "health", "feed"):
                    await expect(page.locator(f"#panel-{panel}")).to_be_visible()
                await expect(page.locator("#traffic")).to_contain_text("2019-08-31 23:50:00")

                finding = {"finding_id": f"f-{provider}", "unit": provider, "item": "A1.2", "effect": "holds",
                           "occurred_at": "2019-08-10T09:00:00+08:00"}
                posted = time.monotonic()
                r = await client.post("/findings", json=finding, headers=token("inspector"))
                assert r.status_code == 202, r.text
                newest = page.locator("#panel-feed li").first
                # the provider's B1.8 deduction may be the newest already: wait for the item posted
                await expect(newest).to_contain_text("A1.2", timeout=2000)
                await expect(newest).to_contain_text(f"自治区仪表厅{tag}")
                print(f"the feed showed the deduction {time.monotonic() - posted:.2f}s after the POST")
                await page.screenshot(path=str(OUTPUT / "console-dashboard.png"), full_page=True)

                # The costliest item's bar leads to the units it cost points.
                await page.goto(f"{url}/console?lang=en&month=2019-08")
                await expect(page.get_by_role("heading", name="Cities and their counties")).to_be_visible()

                # With scripts blocked: the page is all there, and the lists behind the charts filter.
                quiet_context = await browser.new_context(java_script_enabled=False)
                await quiet_context.add_cookies([{"name": "hub_console", "value": session, "url": url}])
                quiet = await quiet_context.new_page()
                await quiet.goto(f"{url}/console?month=2019-08")
                await expect(quiet.locator("#panel-feed li").first).to_contain_text("A1.2")
                await quiet.goto(f"{url}/console/leaderboard?month=2019-08&item=A1.2&q={provider}")
                await expect(quiet.locator(f"#row-{provider} [data-field='total']")).to_have_text("96.00")
                await quiet.goto(f"{url}/console/leaderboard?month=2019-08&item=C3.1&q={provider}")
                await expect(quiet.locator("tbody tr")).to_have_text("暂无评分")
                await quiet.goto(f"{url}/console/leaderboard?month=2019-08&low=95&high=100&q={provider}")
                await expect(quiet.locator("tbody tr")).to_have_count(1)
                await quiet.goto(f"{url}/console/leaderboard?month=2019-08&low=80&high=95&q={provider}")
                await expect(quiet.locator("tbody tr")).to_have_text("暂无评分")
            finally:
                await browser.close()
