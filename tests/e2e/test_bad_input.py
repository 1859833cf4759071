"""Every bad input found by the probe is a 4xx problem document, never a 500, and changes nothing.

NUL characters (PostgreSQL cannot store them), instants and integers out of range, oversized and
anonymous bodies (refused before they are read), malformed JSON without a token (401, not 422)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from catalog.bootstrap import create_app as catalog_app
from catalog.settings import CatalogSettings
from contracts.values import make_uscc
from elicense.bootstrap import create_app as elicense_app
from elicense.samples import make_seal_authority
from elicense.settings import ElicenseSettings
from exchange.bootstrap import create_app as exchange_app
from exchange.settings import ExchangeSettings
from hubkit.testing import running_app, token
from scoring.bootstrap import create_app as scoring_app
from scoring.settings import ScoringSettings

pytestmark = pytest.mark.integration
UNIT = make_uscc("450000", "MB0000NU")


@pytest.fixture
async def hub(database_url: str, kafka_bootstrap: str, tmp_path: Path) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    cert = tmp_path / "seal.pem"
    cert.write_bytes(make_seal_authority("测试印章机构").cert_pem())
    common = {"database_url": database_url, "kafka_bootstrap": kafka_bootstrap, "outbox_poll_seconds": 0.2}
    apps = {
        "catalog": catalog_app(CatalogSettings(**common)),
        "exchange": exchange_app(ExchangeSettings(**common)),
        "elicense": elicense_app(ElicenseSettings(**common, blob_dir=str(tmp_path / "blobs"),
                                                  seal_authority_cert=str(cert))),
        "scoring": scoring_app(ScoringSettings(**common)),
    }
    async with AsyncExitStack() as stack:
        yield {name: await stack.enter_async_context(running_app(app)) for name, app in apps.items()}


def problem(r: httpx.Response, *statuses: int) -> dict[str, object]:
    assert r.status_code in statuses, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body: dict[str, object] = r.json()
    assert body["status"] == r.status_code
    return body


async def test_nul_characters_are_refused_before_the_database(hub: dict[str, httpx.AsyncClient]) -> None:
    op = token("operator")
    body = problem(await hub["catalog"].get("/units?q=%00", headers=op), 422)
    assert "NUL" in str(body["detail"])
    problem(await hub["elicense"].get("/verify?number=a%00b", headers=op), 422)
    problem(await hub["catalog"].get("/resources/abc%00def", headers=op), 422)
    r = await hub["catalog"].put(f"/units/{UNIT}", headers=op, json={
        "uscc": UNIT, "name": "自治区\u0000测试厅", "kind": "department", "division_code": "450000"})
    assert "name" in str(problem(r, 422)["detail"])
    # Nothing was registered, and the service still answers on the same connection.
    assert (await hub["catalog"].get(f"/units/{UNIT}", headers=op)).status_code == 404
    assert (await hub["catalog"].get("/units?q=abc", headers=op)).status_code == 200
    # A form (the portal's sign-in, the exchange's request form) is checked like JSON, before any route reads it.
    form = {"Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"hub_portal={token('department', UNIT)['Authorization'][7:]}"}
    for service, path, content in [("exchange", "/portal/requests", b"resource_code=x&purpose=a%00b"),
                                   ("catalog", "/portal/login", b"token=a\x00b")]:
        assert "NUL" in str(problem(await hub[service].post(path, content=content, headers=form), 422)["detail"])


async def test_values_out_of_range_are_4xx(hub: dict[str, httpx.AsyncClient]) -> None:
    op = token("operator")
    problem(await hub["catalog"].get("/resources", params={"as_of": "9999-12-31T23:59:59-14:00"}, headers=op), 422)
    problem(await hub["catalog"].get("/resources", params={"offset": str(2**63)}, headers=op), 422)
    problem(await hub["scoring"].get("/months/9999-12", headers=op), 404, 422)
    problem(await hub["scoring"].delete(f"/webhooks/{UNIT}/{10**20}", headers=op), 404, 422)
    dept = token("department", UNIT)
    problem(await hub["elicense"].put(f"/claims/{UNIT}", headers=dept,
                                      json={"license_types": [], "stock": {"x": 10**30}}), 422)


async def test_bodies_need_a_token_before_they_are_read(hub: dict[str, httpx.AsyncClient]) -> None:
    read = 0

    async def big() -> AsyncIterator[bytes]:
        nonlocal read
        for _ in range(50):
            read += 1
            yield b"x" * (1024 * 1024)

    r = await hub["exchange"].post("/calls/batch", content=big(), headers={"Content-Type": "application/json"})
    problem(r, 401)
    assert read <= 2  # refused at the door, not after 50 MB were parsed
    # Malformed JSON without a token: who asks comes first.
    r = await hub["catalog"].post("/resources", content=b"{not json", headers={"Content-Type": "application/json"})
    problem(r, 401)
    # With a token: a declared size over the limit is refused at once, a streamed one when it passes it.
    op = token("operator")
    r = await hub["exchange"].post("/calls/batch", content=b"[" + b" " * (2 * 1024 * 1024) + b"]",
                                   headers={**op, "Content-Type": "application/json"})
    problem(r, 413)
    read = 0
    r = await hub["exchange"].post("/calls/batch", content=big(), headers={**op, "Content-Type": "application/json"})
    problem(r, 413)
    assert read <= 3


async def test_a_csv_cell_too_long_is_a_row_error(hub: dict[str, httpx.AsyncClient]) -> None:
    op = token("operator")
    csv_text = "provider,name,share_type,update_cycle\n" + f'{UNIT},"{"长" * 140_000}",unconditional,monthly\n'
    r = await hub["catalog"].post("/resources/import", content=csv_text.encode(),
                                  headers={**op, "Content-Type": "text/csv"})
    assert r.status_code in (200, 422), r.text
    assert r.status_code == 422 or r.json()["imported"] == []


async def test_writes_and_gateway_calls_are_rate_limited_per_token(database_url: str, kafka_bootstrap: str) -> None:
    common = {"database_url": database_url, "kafka_bootstrap": kafka_bootstrap}
    catalog = catalog_app(CatalogSettings(**common, write_rates={"department": 2.0}))
    exchange = exchange_app(ExchangeSettings(**common, gateway_rate=1.0))
    dept, other = token("department", UNIT), token("department", make_uscc("450000", "MB0000RL"))
    async with running_app(catalog) as c, running_app(exchange) as x:
        answers = [(await c.post("/resources", headers=dept, json={})).status_code for _ in range(9)]
        assert answers[:8] == [422] * 8 and answers[8] == 429  # a burst of 4x the rate, then refused
        limited = await c.post("/resources", headers=dept, json={})
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        problem(limited, 429)
        assert (await c.post("/resources", headers=other, json={})).status_code == 422  # its own bucket
        assert (await c.post("/resources", headers=token("operator"), json={})).status_code == 422  # not limited
        code = "330045450000MB0000RL000001"
        calls = [(await x.get(f"/gateway/{code}/q", headers=dept)).status_code for _ in range(5)]
        assert calls[:4] == [404] * 4 and calls[4] == 429


async def test_malformed_csv_is_a_4xx_or_a_row_error(hub: dict[str, httpx.AsyncClient]) -> None:
    """Found by the fuzzer: a lone carriage return in the header made the CSV reader raise (500)."""
    op = {**token("operator"), "Content-Type": "text/csv"}
    r = await hub["catalog"].post("/resources/import", content=b"provider\r,name\n", headers=op)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    body = ("provider,name,share_type,update_cycle\n" + f'{UNIT},"unterminated,unconditional,monthly\n').encode()
    r = await hub["catalog"].post("/resources/import", content=body, headers=op)
    assert r.status_code in (200, 422), r.text
    if r.status_code == 200:
        assert r.json()["imported"] == [] and r.json()["errors"]
    r = await hub["catalog"].post("/resources/import", content=b"\x00\r\r\n\"", headers=op)
    assert r.status_code == 422
