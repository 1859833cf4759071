"""The operators' console in a real browser (Debian's chromium driven by Playwright): the leaderboard renders
on the server, moves live when a fact arrives through an API, switches language, and works without scripts."""

from __future__ import annotations

import re
import time

import httpx
from hubkit.testing import serving, token
from scoring.bootstrap import create_app
from scoring.settings import ScoringSettings

from tests.browser.support import CHROMIUM, FLAGS, MARKS, OUTPUT, wait_total
from tests.scoring_live.test_live_projection import failed_call, publish, registered, unique_unit

pytestmark = MARKS


async def test_console_leaderboard_moves_live_after_an_api_write(database_url: str, kafka_bootstrap: str) -> None:
    from playwright.async_api import async_playwright, expect

    provider, consumer = unique_unit(), unique_unit()
    await publish(kafka_bootstrap, [registered(provider, "自治区控制台厅"), registered(consumer, "自治区浏览厅"),
                                    failed_call(provider, consumer, 5)])
    settings = ScoringSettings(submissions="none", inventory="none",  # about other things: no submission is asked
                               database_url=database_url, kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.05)
    OUTPUT.mkdir(exist_ok=True)
    async with serving(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as client:
        await wait_total(client, provider, "98.00")
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
            try:
                page = await browser.new_page(viewport={"width": 1400, "height": 900})
                await page.goto(f"{url}/console/leaderboard?lang=zh")
                await expect(page.get_by_text("hub token --role operator --console")).to_be_visible()
                # A token in the URL is refused; the form takes it in the body.
                refused = await page.goto(f"{url}/console/login?token={token('operator')['Authorization'][7:]}")
                assert refused is not None and refused.status == 400
                await page.fill("textarea[name=token]", token("operator")["Authorization"][7:])
                await page.click("button[type=submit]")
                await expect(page.locator("#live")).to_have_text("实时")
                # The board opens on the month of the latest event; other tests on the shared broker may
                # have written later months, so look at this test's month by name.
                await page.goto(f"{url}/console/leaderboard?lang=zh&month=2019-08")
                row = page.locator(f"#row-{provider}")
                await expect(row).to_contain_text("自治区控制台厅")
                total = row.locator('[data-field="total"]')
                await expect(total).to_have_text("98.00")
                await expect(page.locator("#live")).to_have_text("实时")

                finding = {"finding_id": f"f-{provider}", "unit": provider, "item": "A1.2", "effect": "holds",
                           "occurred_at": "2019-08-10T09:00:00+08:00"}
                posted = time.monotonic()
                r = await client.post("/findings", json=finding, headers=token("inspector"))
                assert r.status_code == 202, r.text
                await expect(total).to_have_text("96.00", timeout=2000)
                print(f"row changed {time.monotonic() - posted:.2f}s after the POST")
                await page.screenshot(path=str(OUTPUT / "console-leaderboard.png"), full_page=True)

                await page.get_by_role("link", name="English").click()
                await expect(page.get_by_role("columnheader", name="Total")).to_be_visible()
                await page.get_by_role("link", name="自治区控制台厅").click()
                await expect(page.get_by_role("cell", name=re.compile(r"^A1\.2 "))).to_be_visible()
                await expect(page.get_by_text("exchange.call-failed").first).to_be_visible()
                await page.screenshot(path=str(OUTPUT / "console-unit.png"), full_page=True)

                # With scripts blocked the leaderboard is still all there, rendered by the server.
                context = await browser.new_context(java_script_enabled=False)
                await context.add_cookies([{"name": "hub_console", "value": token("operator")["Authorization"][7:],
                                            "url": url}])
                quiet = await context.new_page()
                await quiet.goto(f"{url}/console/leaderboard?kind=department&q={provider}&month=2019-08")
                await expect(quiet.locator(f"#row-{provider} [data-field='total']")).to_have_text("96.00")
                await expect(quiet.locator("tbody tr")).to_have_count(1)
            finally:
                await browser.close()
