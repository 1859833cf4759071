"""The monthly bulletin in a real browser (Debian's chromium through Playwright): from the console's closed
months to the month's bulletin, its Chinese text and its four charts drawn, without a script."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import httpx
from hubkit.testing import serving, token
from scoring.bootstrap import create_app
from scoring.settings import ScoringSettings

from tests.browser.support import CHROMIUM, FLAGS, MARKS, OUTPUT
from tests.scoring_live.test_live_projection import SH, failed_call, publish, registered, unique_unit

pytestmark = MARKS


async def test_the_console_leads_from_a_closed_month_to_its_bulletin(database_url: str, kafka_bootstrap: str) -> None:
    from playwright.async_api import async_playwright, expect

    unit, other = unique_unit(), unique_unit()
    await publish(kafka_bootstrap, [registered(unit, "自治区通报厅"), registered(other, "自治区对照厅"),
                                    failed_call(unit, other, 3),
                                    failed_call(other, unique_unit(), 1).model_copy(
                                        update={"occurred_at": datetime(2019, 9, 2, 9, tzinfo=SH)})])
    settings = ScoringSettings(submissions="none", inventory="none", database_url=database_url,
                               kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.05)
    operator = token("operator")
    OUTPUT.mkdir(exist_ok=True)
    async with serving(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as client:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the projection reads the shared broker from its beginning
            closed = await client.post("/months/2019-08/close", headers=operator)
            if closed.status_code == 201:
                break
            await asyncio.sleep(0.2)
        assert closed.status_code == 201, closed.text
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
            try:
                context = await browser.new_context(java_script_enabled=False, viewport={"width": 1200, "height": 900})
                page = await context.new_page()
                await page.goto(f"{url}/console/login?lang=zh")
                await page.fill("textarea[name=token]", operator["Authorization"][7:])
                await page.click("button[type=submit]")
                await page.goto(f"{url}/console/months?lang=zh")
                await page.get_by_role("link", name="月度通报").first.click()
                title = "2019年8月 政务数据“聚通用”考核结果通报"
                await expect(page.get_by_role("heading", level=1)).to_contain_text(title)
                await expect(page.get_by_text("自治区通报厅").first).to_be_visible()
                charts = page.locator("svg.pygal-chart")
                await expect(charts).to_have_count(4)
                for i in range(4):
                    box = await charts.nth(i).bounding_box()
                    assert box is not None and box["width"] > 300 and box["height"] > 150
                await page.screenshot(path=str(OUTPUT / "bulletin.png"), full_page=False)
                pdf = await context.request.get(f"{url}/console/months/2019-08/bulletin.pdf")  # with the cookie
                assert pdf.status == 200 and (await pdf.body()).startswith(b"%PDF-")
            finally:
                await browser.close()
