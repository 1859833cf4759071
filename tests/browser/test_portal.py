"""#18 part 5: the catalog portal in a real browser. A department signs in, searches, narrows by a facet, opens a
resource (its metadata, its versions as differences, what gathers it) and with one click reaches the exchange's
request form, where it files an access request; the public open-data page needs no sign-in."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
from catalog.bootstrap import create_app as catalog_app
from catalog.settings import CatalogSettings
from contracts.values import make_uscc
from exchange.bootstrap import create_app as exchange_app
from exchange.settings import ExchangeSettings
from hubkit.runtime.ports import free_port
from hubkit.testing import serving, token

from tests.browser.support import CHROMIUM, FLAGS, MARKS, OUTPUT
from tests.catalog.reviewing import approve, publish
from tests.catalog.test_resources import register

pytestmark = MARKS


def meta(name: str, **extra: object) -> dict[str, object]:
    return {"name": name, "share_type": "conditional", "share_condition": "仅用于政务服务", "update_cycle": "daily",
            "domain": "市场监管", "summary": f"{name}的摘要", "open_type": "open",
            "items": [{"name": "统一社会信用代码", "type": "string", "length": 18, "key": True}], **extra}


async def test_search_resource_and_request_access_in_the_browser(database_url: str, kafka_bootstrap: str,
                                                                tmp_path: Path) -> None:
    from playwright.async_api import async_playwright, expect

    tag = uuid.uuid4().hex[:4]
    provider, requester = make_uscc("450000", f"P{tag.upper()}123"), make_uscc("450000", f"R{tag.upper()}123")
    session = {"Cookie": f"hub_portal={token('department', requester)['Authorization'][7:]}"}
    exchange_port = free_port()
    common = dict(database_url=database_url, kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.1,
                  simulated_clock=True, simulated_start="2019-08-01T09:00:00+08:00")
    catalog = CatalogSettings(**common, exchange_url=f"http://127.0.0.1:{exchange_port}")  # type: ignore[arg-type]
    exchange = ExchangeSettings(**common, files_dir=str(tmp_path / "files"))  # type: ignore[arg-type]
    OUTPUT.mkdir(exist_ok=True)
    async with serving(catalog_app(catalog)) as url, serving(exchange_app(exchange), port=exchange_port) as xurl, \
            httpx.AsyncClient(base_url=url) as api, httpx.AsyncClient(base_url=xurl) as xapi:
        await register(api, provider, f"自治区门户测试局{tag}")
        await register(api, requester, f"自治区门户申请厅{tag}")
        prov = token("department", provider)
        made = [(await api.post("/resources", headers=prov, json={"provider": provider, "metadata": meta(
            f"企业登记信息{tag}")})).json()["code"],
                (await api.post("/resources", headers=prov, json={"provider": provider, "metadata": meta(
                    f"企业年报信息{tag}", share_type="unconditional", share_condition=None, open_type="open")})
                 ).json()["code"]]
        for code in made:
            assert (await publish(api, code, prov)).status_code == 200
        wanted = made[0]
        await api.put(f"/resources/{wanted}/mount", headers=prov, json={"kind": "table", "system": "前置库",
                                                                         "table": "t_ent"})
        changed = await api.put(f"/resources/{wanted}/metadata", headers=prov, json={
            "metadata": meta(f"企业登记信息{tag}", update_cycle="weekly")})
        assert changed.status_code == 200 and (await approve(api, wanted)).json()["version"] == 2
        base = (await api.post("/resources", headers=prov, json={
            "provider": provider, "catalog": "base", "item": "02",
            "metadata": meta(f"法人综合库{tag}", related_codes=[wanted])})).json()["code"]
        assert (await publish(api, base, prov)).status_code == 200
        for _ in range(300):  # the exchange learns of the resource from the catalog's events
            form = await xapi.get("/portal/requests/new", params={"resource_code": wanted}, headers=session)
            if form.status_code != 404:
                break
            await asyncio.sleep(0.1)
        assert form.status_code == 200, form.text
        signed_out = await xapi.get("/portal/requests/new", params={"resource_code": wanted})
        assert signed_out.status_code == 401 and "请先在目录门户登录" in signed_out.text

        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
            try:
                page = await browser.new_page(viewport={"width": 1400, "height": 1000})
                await page.goto(f"{url}/portal")
                await expect(page.get_by_role("heading", level=1)).to_have_text("登录")
                await page.fill("textarea[name=token]", token("department", requester)["Authorization"][7:])
                await page.click("form[action^='/portal/login'] button[type=submit]")
                await expect(page.get_by_role("heading", level=1)).to_have_text("目录检索")

                await page.fill("input[type=search]", tag)
                await page.press("input[type=search]", "Enter")
                await expect(page.locator("#results tbody tr")).to_have_count(3)
                await expect(page.get_by_role("link", name="清除筛选")).to_be_visible()
                await page.screenshot(path=str(OUTPUT / "portal-search.png"), full_page=True)
                await page.locator("#facet-share_type a", has_text="有条件共享").click()
                await expect(page.locator("#results tbody tr")).to_have_count(2)  # the resource and the base one
                await page.locator("#facet-catalog a", has_text="部门").click()
                await expect(page.locator("#results tbody tr")).to_have_count(1)

                await page.get_by_role("link", name=f"企业登记信息{tag}").click()
                await expect(page.get_by_role("heading", level=1)).to_contain_text(f"企业登记信息{tag}")
                await expect(page.locator("#meta-update_cycle")).to_have_text("每周")
                await expect(page.locator("#version-2")).to_contain_text("更新周期")
                await expect(page.locator("#version-2 [data-field=update_cycle] del")).to_have_text("每日")
                await expect(page.locator("#version-2 [data-field=update_cycle] ins")).to_have_text("每周")
                await expect(page.locator("#version-2 [data-field=publish_date]")).to_have_count(0)  # kept
                await expect(page.locator("#feeds")).to_contain_text(f"法人综合库{tag}")
                await expect(page.locator("#metadata")).not_to_contain_text("前置库")  # where the data sits: not shown
                await page.screenshot(path=str(OUTPUT / "portal-resource.png"), full_page=True)

                await page.click("#request-access")
                await expect(page.locator("#request-form")).to_contain_text(wanted)
                await page.fill("textarea[name=purpose]", "办理企业开办业务时核验登记信息")
                await page.click("#request-form button[type=submit]")
                await expect(page.locator("#submitted")).to_contain_text("申请已提交")
                request_id = await page.locator("#request-id").inner_text()

                # The bureau passes it, the provider approves, the bureau replies; the unit rates what it used:
                # the catalog hears it from the exchange's events and the resource's page shows it.
                steps = [(f"/requests/{request_id}/review", token("operator"), {"passed": True}),
                         (f"/requests/{request_id}/decision", prov, {"approve": True}),
                         (f"/requests/{request_id}/reply", token("operator"), {}),
                         (f"/resources/{wanted}/ratings", token("department", requester),
                          {"quality": 4, "timeliness": 5, "usefulness": 3, "comment": "数据完整，更新及时"})]
                for path, who, body in steps:
                    done = await xapi.post(path, headers=who, json=body)
                    assert done.status_code in (200, 201), (path, done.text)
                for _ in range(100):
                    use = (await api.get(f"/resources/{wanted}/usage", headers=token("operator"))).json()
                    if use["subscribers"] and use["ratings"]:
                        break
                    await asyncio.sleep(0.1)
                assert (use["subscribers"], use["ratings"], use["quality"]) == (1, 1, 4.0)
                await page.goto(f"{url}/portal/resources/{wanted}")
                await expect(page.locator("#subscribers")).to_have_text("1")
                await expect(page.locator("#usage")).to_contain_text("数据完整，更新及时")

                public = await browser.new_page()
                await public.goto(f"{url}/portal/open?q={tag}")
                await expect(public.locator("#open tbody tr")).to_have_count(1)  # the unconditional one only
                await expect(public.locator("#open")).to_contain_text(f"企业年报信息{tag}")
            finally:
                await browser.close()

        filed = (await xapi.get("/requests", headers=token("department", requester))).json()
        mine = [r for r in filed if r["id"] == request_id]
        assert mine and mine[0]["resource_code"] == wanted and mine[0]["requester"] == requester
