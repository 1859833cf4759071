"""#20 part 2: a department's workspace in a real browser: it signs in with its own one-time link and lands on
its workspace (its score and path, each lost point with its cause and what restores it, what it can still do
in time with working days left, its catalog work), and every other page of the console is closed to it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

import httpx
from contracts import new_envelope
from contracts.catalog import RequirementAssigned
from contracts.exchange import RequestForwarded
from contracts.values import build_resource_code
from hubkit.cli import console_code
from hubkit.settings import DEV_SECRET
from hubkit.testing import serving, token
from scoring.bootstrap import create_app
from scoring.settings import ScoringSettings

from tests.browser.support import CHROMIUM, FLAGS, MARKS, OUTPUT, wait_total
from tests.scoring_live.test_live_projection import failed_call, publish, registered, unique_unit

SH = ZoneInfo("Asia/Shanghai")
pytestmark = MARKS


async def test_a_department_sees_its_own_workspace_and_nothing_else(database_url: str, kafka_bootstrap: str) -> None:
    from playwright.async_api import async_playwright, expect

    tag = uuid.uuid4().hex[:4]
    unit, other = unique_unit(), unique_unit()
    required = build_resource_code("450000", unit, 7)
    request_id = f"r-{tag}"
    await publish(kafka_bootstrap, [
        registered(unit, f"自治区工作台厅{tag}"), registered(other, f"自治区邻居厅{tag}"),
        failed_call(unit, other, 2),
        new_envelope(RequirementAssigned(batch_id=f"b-{tag}", batch_kind="first_batch_catalog",
                                         resource_codes=[required], deadline=date(2019, 8, 20)),
                     unit=unit, occurred_at=datetime(2019, 8, 1, 9, tzinfo=SH)),
        # forwarded late in August: its deadline, and any lateness (B1.9), fall in September, whatever
        # other tests on the shared broker took the projection's watermark to
        new_envelope(RequestForwarded(request_id=request_id, data_kind="government"), unit=unit,
                     occurred_at=datetime(2019, 8, 29, 9, tzinfo=SH))])
    settings = ScoringSettings(submissions="none", inventory="none", database_url=database_url,
                               kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.05, simulated_clock=True,
                               simulated_start="2019-08-29T10:00:00+08:00")
    OUTPUT.mkdir(exist_ok=True)
    async with serving(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as client:
        # B1.8 2 points for the failed call; B1.3 and B1.4 7 and 8 for the required resource not yet there
        await wait_total(client, unit, "83.00")

        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
            try:
                page = await browser.new_page(viewport={"width": 1400, "height": 1000})
                code = console_code(DEV_SECRET, role="department", unit=unit)
                await page.goto(f"{url}/console/login?code={code}")
                assert page.url.startswith(f"{url}/console/workspace")
                await expect(page.get_by_role("heading", level=1)).to_contain_text(f"自治区工作台厅{tag}")
                await expect(page.locator("#ws-total")).to_have_text("83.00")
                lost = page.locator("#ws-lost tbody tr")
                await expect(lost).to_have_count(3)
                failed = lost.filter(has_text="B1.8")
                await expect(failed).to_contain_text("exchange.call-failed")
                await expect(failed.locator("td.restore")).to_contain_text("修复共享接口")
                await expect(lost.filter(has_text="B1.3").locator("td.restore")).to_contain_text("发布第一批目录")
                todo = page.locator("#ws-todo")
                # forwarded on Thursday 29 August: 3 working days from the next, due at the end of Tuesday
                # 3 September; on the 29th that leaves the 29th, 30th, 2nd and 3rd
                await expect(todo).to_contain_text(f"审核答复共享申请 {request_id}")
                await expect(todo).to_contain_text("截止 2019-09-04 00:00:00")
                await expect(todo).to_contain_text("4 剩余工作日")
                await expect(todo).to_contain_text(required)
                await expect(todo).to_contain_text("需求截止日 2019-08-20")
                await expect(page.locator(f"text=自治区邻居厅{tag}")).to_have_count(0)
                await page.screenshot(path=str(OUTPUT / "console-workspace.png"), full_page=True)

                # Everything else in the console is closed to a department: the bureau's home leads back here.
                await page.goto(f"{url}/console?lang=zh")
                assert page.url.startswith(f"{url}/console/workspace")
                for path in ("/console/leaderboard", f"/console/units/{other}", f"/console/units/{unit}",
                             "/console/months", "/console/dashboard/panels", "/console/stream"):
                    shown = await page.goto(f"{url}{path}")
                    assert shown is not None and shown.status == 403, path
                await page.goto(f"{url}/console/workspace?unit={other}")  # no way to name another unit
                await expect(page.get_by_role("heading", level=1)).to_contain_text(f"自治区工作台厅{tag}")

                # The bureau's roles have the dashboard, not a department's workspace.
                operator = await browser.new_context()
                await operator.add_cookies([{"name": "hub_console", "value": token("operator")["Authorization"][7:],
                                             "url": url}])
                seen = await (await operator.new_page()).goto(f"{url}/console/workspace")
                assert seen is not None and seen.status == 403
            finally:
                await browser.close()
