"""#17 parts 1 and 2 on the real database and broker, catalog and exchange together: a provider delivers table
batches checked against the information items the catalog published (per-row errors, nothing half-stored, the
quality report kept) and uploads file versions checked against their SHA-256; subscribers read the changes by
cursor and download the versions (each recorded like a gateway call), and the catalog records each delivery
as the resource's update (`catalog.resource-updated`, origin delivery) while refusing self-reported ones."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from catalog.bootstrap import create_app as catalog_app
from catalog.settings import CatalogSettings
from exchange.bootstrap import create_app as exchange_app
from exchange.settings import ExchangeSettings
from hubkit.testing import running_app, token

from tests.catalog.reviewing import publish
from tests.catalog.test_resources import events_of, metadata, new_unit, register

pytestmark = pytest.mark.integration
OPERATOR = token("operator")
ITEMS = [{"name": "统一社会信用代码", "type": "string", "length": 18, "key": True},
         {"name": "企业名称", "type": "字符型", "length": 50, "required": True},
         {"name": "注册资本", "type": "decimal", "length": 14},
         {"name": "成立日期", "type": "date"}]
A, B, C = "91450100MA5K000001", "91450100MA5K000002", "91450100MA5K000003"


@pytest.fixture
async def hub(database_url: str, kafka_bootstrap: str,
              tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    catalog = CatalogSettings(database_url=database_url, kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.1,
                              simulated_clock=True, simulated_start="2019-08-01T09:00:00+08:00")
    exchange = ExchangeSettings(database_url=database_url, kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.1,
                                simulated_clock=True, simulated_start="2019-08-05T09:00:00+08:00",
                                table_batch_max_bytes=4096, file_max_bytes=4096,
                                files_dir=str(tmp_path / "files"))
    async with running_app(catalog_app(catalog)) as cat, running_app(exchange_app(exchange)) as exc:
        yield cat, exc


async def until(check: Any, what: str) -> Any:
    for _ in range(300):
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(what)


async def mounted(hub: tuple[httpx.AsyncClient, httpx.AsyncClient], provider: str, meta: dict[str, Any],
                  mount: dict[str, str]) -> str:
    """A registered provider's resource, catalogued, published and mounted; once the exchange knows the mount."""
    catalog, exchange = hub
    await register(catalog, provider, "自治区某厅")
    prov = token("department", provider)
    code: str = (await catalog.post("/resources", headers=prov, json={"provider": provider, "metadata": meta})
                 ).json()["code"]
    assert (await publish(catalog, code, prov)).status_code == 200
    assert (await catalog.put(f"/resources/{code}/mount", headers=prov, json=mount)).status_code == 200
    pool = exchange._transport.app.state.host.pool  # type: ignore[attr-defined]
    await until(lambda: pool.fetchval("SELECT mount_kind = $2 FROM resources WHERE code = $1", code, mount["kind"]),
                "the catalog's resource and mount did not reach the exchange")
    return code


def jsonl(*changes: dict[str, Any]) -> bytes:
    return b"".join(orjson.dumps(ch) + b"\n" for ch in changes)


async def test_table_batches_are_checked_delivered_by_cursor_and_are_the_resources_updates(
    hub: tuple[httpx.AsyncClient, httpx.AsyncClient], kafka_bootstrap: str
) -> None:
    catalog, exchange = hub
    provider, consumer, stranger = new_unit(), new_unit(), new_unit()
    prov, mine = token("department", provider), token("department", consumer)
    code = await mounted(hub, provider, metadata("企业登记信息", items=ITEMS),
                         {"kind": "table", "system": "前置库", "table": "t_ent"})
    pool = exchange._transport.app.state.host.pool  # type: ignore[attr-defined]

    def deliver(body: bytes, media: str = "application/x-ndjson", who: dict[str, str] = prov) -> Any:
        return exchange.post(f"/tables/{code}/batches", headers={**who, "content-type": media}, content=body)

    # One bad row among good ones: 422 with each row's errors, no row stored, the report kept.
    bad = await deliver(jsonl({"op": "insert", "row": {"统一社会信用代码": A, "企业名称": "甲公司"}},
                              {"op": "insert", "row": {"统一社会信用代码": B, "注册资本": "一百万"}},
                              {"op": "update", "row": {"统一社会信用代码": C, "企业名称": "丙", "电话": "0771"}}))
    assert bad.status_code == 422, bad.text
    assert bad.json()["errors"] == [
        {"line": 2, "field": "企业名称", "reason": "a required item needs a value"},
        {"line": 2, "field": "注册资本", "reason": "expected a number"},
        {"line": 3, "field": "电话", "reason": "not an information item of the resource"}]
    assert await pool.fetchval("SELECT count(*) FROM table_rows WHERE resource_code = $1", code) == 0
    report = (await exchange.get(f"/tables/{code}/batches/{bad.json()['batch_id']}", headers=prov)).json()
    assert (report["accepted"], report["errors"], len(report["report"]["errors"])) == (False, 3, 3)

    first = await deliver(jsonl(*({"op": "insert", "row": {"统一社会信用代码": k, "企业名称": f"{k[-1]}号公司",
                                                            "注册资本": "1000000.50", "成立日期": "2019-08-01"}}
                                  for k in (A, B, C))))
    assert first.status_code == 201, first.text
    assert (first.json()["inserted"], first.json()["first_seq"], first.json()["last_seq"]) == (3, 1, 3)
    await exchange.put("/admin/clock", headers=OPERATOR, json={"now": "2019-08-06T10:00:00+08:00"})
    csv_body = f"_op,统一社会信用代码,企业名称\nupdate,{A},甲公司（更名）\ndelete,{B},\n"
    second = await deliver(csv_body.encode(), "text/csv")
    assert second.status_code == 201 and (second.json()["updated"], second.json()["deleted"]) == (1, 1)
    clash = await deliver(jsonl({"op": "insert", "row": {"统一社会信用代码": C, "企业名称": "再插一次"}}))
    assert clash.status_code == 422 and clash.json()["errors"][0]["reason"].startswith("insert: a row with this key")

    # Bad input at the door: no format, over the size limit, another unit, a non-table resource: nothing kept.
    assert (await deliver(b"{}", "application/json")).status_code == 415
    assert (await deliver(b"x" * 5000)).status_code == 413
    nul = await deliver(jsonl({"op": "insert", "row": {"统一社会信用代码": A, "企业名称": "甲"}},
                              {"op": "insert", "row": {"统一社会信用代码": "9" * 18, "企业名称": "乙\x00"}}))
    assert nul.status_code == 422, nul.text  # never a 500: PostgreSQL cannot store it
    assert (await deliver(jsonl({"row": {"统一社会信用代码": A}}), who=token("department", stranger))
            ).status_code == 403
    batches = (await exchange.get(f"/tables/{code}/batches", headers=prov)).json()
    assert (batches["accepted"], batches["refused"]) == (2, 2)
    # A raw NUL in CSV passes the guard (not JSON) and is the row's error, never a failed transaction (a 500).
    raw_nul = await deliver(f"统一社会信用代码,企业名称\n{'9' * 18},乙\x00\n".encode(), "text/csv")
    assert raw_nul.status_code == 422, raw_nul.text
    assert raw_nul.json()["errors"][0]["reason"] == "NUL characters are not accepted"
    assert (await exchange.get(f"/tables/{code}/batches", headers=mine)).status_code == 403
    assert (await exchange.get(f"/tables/{code}/batches", headers=OPERATOR)).status_code == 200

    # A subscriber reads the changes by cursor; a unit without a subscription cannot.
    assert (await exchange.get(f"/tables/{code}/changes", headers=mine)).status_code == 403
    assert (await exchange.get(f"/tables/{code}/changes", headers=mine, params={"after": 2**63})).status_code == 422
    granted = await exchange.post("/requests", headers=mine, json={"resource_code": code, "purpose": "企业资格核验"})
    assert granted.json()["status"] == "active", granted.text
    page = (await exchange.get(f"/tables/{code}/changes", headers=mine, params={"after": 0, "limit": 4})).json()
    assert [(ch["seq"], ch["op"]) for ch in page["changes"]] == [(1, "insert"), (2, "insert"), (3, "insert"),
                                                                  (4, "update")]
    assert page["changes"][0]["row"]["注册资本"] == "1000000.50" and page["changes"][0]["key"] == [A]
    assert (page["next"], page["more"]) == (4, True)
    rest = (await exchange.get(f"/tables/{code}/changes", headers=mine, params={"after": page["next"]})).json()
    assert ([(ch["seq"], ch["op"], ch["row"]) for ch in rest["changes"]], rest["more"]) == ([(5, "delete", None)],
                                                                                             False)
    reads = (await exchange.get("/calls", headers=mine, params={"resource": code})).json()["calls"]
    assert [(c["channel"], c["status_code"], c["succeeded"]) for c in reads] == [("table", 200, True)] * 2

    # The subscriber disputes a row; the provider's correction is a batch delivered since, named in its answer.
    dispute = (await exchange.post("/disputes", headers=mine, json={
        "resource_code": code, "description": "企业名称有误", "records": [C]})).json()
    answer = {"upheld": True, "answer": "核实有误", "correction": "已重新交换该行"}
    stale = await exchange.post(f"/disputes/{dispute['id']}/answer", headers=prov,
                                json=answer | {"correction_delivery": first.json()["batch_id"]})
    assert stale.status_code == 422, stale.text
    fix = await deliver(jsonl({"op": "update", "row": {"统一社会信用代码": C, "企业名称": "丙公司（更正）"}}))
    assert fix.status_code == 201
    upheld = await exchange.post(f"/disputes/{dispute['id']}/answer", headers=prov,
                                 json=answer | {"correction_delivery": fix.json()["batch_id"]})
    assert upheld.status_code == 200 and upheld.json()["status"] == "upheld", upheld.text

    # The catalog: each accepted batch is the resource's update at its instant; a self-report is refused.
    async def updated() -> Any:
        found = (await catalog.get(f"/resources/{code}/versions", headers=prov)).json()["history"]
        return [h for h in found if h["action"] == "updated"] if len(
            [h for h in found if h["action"] == "updated"]) == 3 else None
    history = await until(updated, "the catalog did not record the deliveries as updates")
    assert [h["origin"] for h in history] == ["delivery"] * 3
    now = (await catalog.get(f"/resources/{code}", headers=prov)).json()
    assert now["last_update_at"].startswith("2019-08-06T02:00:00")
    refused = await catalog.post(f"/resources/{code}/updates", headers=prov, json={"records": 5})
    assert refused.status_code == 409 and "/batches" in refused.json()["detail"], refused.text
    events = [p for t, p in await events_of(kafka_bootstrap, {provider}, expect=5)
              if t == "catalog.resource-updated"]
    assert sorted((e["origin"], e["delivery_id"], e["records"]) for e in events) == sorted(
        [("delivery", first.json()["batch_id"], 3), ("delivery", second.json()["batch_id"], 2),
         ("delivery", fix.json()["batch_id"], 1)])



async def test_file_versions_are_checked_downloaded_through_the_hub_and_are_the_resources_updates(
    hub: tuple[httpx.AsyncClient, httpx.AsyncClient], kafka_bootstrap: str
) -> None:
    catalog, exchange = hub
    provider, consumer, stranger = new_unit(), new_unit(), new_unit()
    prov, mine = token("department", provider), token("department", consumer)
    code = await mounted(hub, provider, metadata("统计年报数据"),
                         {"kind": "file", "url": "https://files.example/a.xlsx", "file_name": "a.xlsx"})
    pool = exchange._transport.app.state.host.pool  # type: ignore[attr-defined]
    v1 = "指标,数值\n地区生产总值,22156.69\n".encode()
    v2 = v1 + "人口,4960\n".encode()

    def put(body: bytes, sha: str | None, who: dict[str, str] = prov, name: str = "年报.csv") -> Any:
        headers = {**who, "content-type": "text/csv"} | ({"x-content-sha256": sha} if sha else {})
        return exchange.post(f"/files/{code}/versions", headers=headers, content=body, params={"name": name})

    # A damaged upload (the bytes are not what the uploader hashed), no checksum, too big, another unit.
    damaged = await put(v1[:-3], hashlib.sha256(v1).hexdigest())
    assert damaged.status_code == 422 and "damaged or cut short" in damaged.json()["detail"]
    assert (await put(v1, None)).status_code == 422
    assert (await put(b"x" * 5000, hashlib.sha256(b"x" * 5000).hexdigest())).status_code == 413
    assert (await put(v1, hashlib.sha256(v1).hexdigest(), who=token("department", stranger))).status_code == 403
    assert await pool.fetchval("SELECT count(*) FROM file_versions WHERE resource_code = $1", code) == 0

    first = await put(v1, hashlib.sha256(v1).hexdigest())
    assert first.status_code == 201 and first.json()["version"] == 1, first.text
    assert (await put(v1, hashlib.sha256(v1).hexdigest())).status_code == 200  # the same bytes: no new version
    await exchange.put("/admin/clock", headers=OPERATOR, json={"now": "2019-08-06T10:00:00+08:00"})
    second = await put(v2, hashlib.sha256(v2).hexdigest(), name="年报（修订）.csv")
    assert second.status_code == 201 and second.json()["version"] == 2

    # Subscribers list and download through the hub; others cannot.
    assert (await exchange.get(f"/files/{code}/versions", headers=mine)).status_code == 403
    assert (await exchange.get(f"/files/{code}/versions/latest/content", headers=mine)).status_code == 403
    granted = await exchange.post("/requests", headers=mine, json={"resource_code": code, "purpose": "统计分析"})
    assert granted.json()["status"] == "active", granted.text
    listed = (await exchange.get(f"/files/{code}/versions", headers=mine)).json()["versions"]
    assert [(v["version"], v["name"]) for v in listed] == [(2, "年报（修订）.csv"), (1, "年报.csv")]
    latest = await exchange.get(f"/files/{code}/versions/latest/content", headers=mine)
    assert latest.status_code == 200 and latest.content == v2
    assert latest.headers["etag"] == f'"{hashlib.sha256(v2).hexdigest()}"'
    assert latest.headers["x-hub-file-version"] == "2"
    old = await exchange.get(f"/files/{code}/versions/1/content", headers=mine)
    assert old.content == v1
    assert (await exchange.get(f"/files/{code}/versions/3/content", headers=mine)).status_code == 404
    reads = (await exchange.get("/calls", headers=mine, params={"resource": code})).json()["calls"]
    assert sorted((c["channel"], c["response_bytes"]) for c in reads) == sorted([("file", len(v2)),
                                                                               ("file", len(v1))])

    async def updated() -> Any:
        found = [h for h in (await catalog.get(f"/resources/{code}/versions", headers=prov)).json()["history"]
                 if h["action"] == "updated"]
        return found if len(found) == 2 else None
    history = await until(updated, "the catalog did not record the file versions as updates")
    assert [(h["origin"], h["delivery_id"]) for h in history] == [
        ("delivery", first.json()["id"]), ("delivery", second.json()["id"])]
    refused = await catalog.post(f"/resources/{code}/updates", headers=prov, json={})
    assert refused.status_code == 409 and "/versions" in refused.json()["detail"]
