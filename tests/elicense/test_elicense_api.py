"""The e-license library over the real database and broker: claims, pushes (idempotent on license id),
files verified on ingest, revocation, verification, lookup, uses, stock import, per-issuer statistics."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from contracts import decode
from contracts.values import make_uscc
from elicense.bootstrap import create_app
from elicense.domain import license_types
from elicense.domain.holders import citizen_id_check_char
from elicense.samples import SealAuthority, make_seal_authority, sample_ofd, sample_pdf, signed_pdf
from elicense.settings import ElicenseSettings
from elicense.sm2_samples import Sm2SealAuthority, make_sm2_seal_authority
from hubkit.testing import read_topic, running_app, token

pytestmark = pytest.mark.integration
TYPES = license_types.load()
BUSINESS = "11100000MB0143028R001"  # 营业执照 (organisations)
DRIVING = next(c for c, t in TYPES.items() if t.name == "机动车驾驶证")  # persons
FOOD = next(c for c, t in TYPES.items() if t.name == "食品经营许可证")
PUSHED, USED, CLAIMED, REVOKED = ("hub.elicense.license-pushed.v1", "hub.elicense.license-used.v1",
                                  "hub.elicense.types-claimed.v1", "hub.elicense.license-revoked.v1")


def new_unit() -> str:
    return make_uscc("450000", uuid.uuid4().hex[:8].upper())


def citizen(first17: str) -> str:
    return first17 + citizen_id_check_char(first17)


@pytest.fixture(scope="module")
def authority() -> SealAuthority:
    return make_seal_authority()


@pytest.fixture(scope="module")
def stranger() -> SealAuthority:
    return make_seal_authority("某非授权签章机构")


@pytest.fixture(scope="module")
def sm2_authority() -> Sm2SealAuthority:
    return make_sm2_seal_authority()


@pytest.fixture
async def library(database_url: str, kafka_bootstrap: str, tmp_path: Path, authority: SealAuthority,
                  sm2_authority: Sm2SealAuthority) -> AsyncIterator[httpx.AsyncClient]:
    cert = tmp_path / "seal-authority.pem"
    cert.write_bytes(authority.cert_pem() + sm2_authority.cert_pem())  # CMS and SM2 roots in one bundle
    settings = ElicenseSettings(database_url=database_url, kafka_bootstrap=kafka_bootstrap,
                                blob_dir=str(tmp_path / "blobs"), seal_authority_cert=str(cert),
                                simulated_clock=True, simulated_start="2019-08-05T09:00:00+08:00",
                                outbox_poll_seconds=0.1, import_chunk=100)
    async with running_app(create_app(settings)) as client:
        yield client


def license_body(license_id: str, holder: str, license_type: str = BUSINESS, **over: Any) -> dict[str, Any]:
    return {"license_id": license_id, "license_type": license_type, "number": f"N-{license_id}",
            "holder_name": "南宁市示例商贸有限公司", "holder_id": holder, "issue_date": "2019-03-01",
            "issuing_authority": "南宁市市场监督管理局", **over}


async def events(bootstrap: str, topic: str, key: str, value: str, expect: int) -> list[dict[str, Any]]:
    """Payloads of `topic` whose data[key] == value, waiting (briefly) for `expect` of them."""
    found: list[dict[str, Any]] = []
    for _ in range(40):
        found = [decode(v).model_dump(mode="json") for v in await read_topic(bootstrap, topic, expect=10**6,
                                                                              timeout=0.3)]
        found = [e for e in found if e["data"].get(key) == value or e.get(key) == value]
        if len(found) >= expect:
            break
        await asyncio.sleep(0.1)
    return found


async def test_claims_replace_and_an_automatic_push_sent_three_times_is_one_license_and_one_event(
        library: httpx.AsyncClient, kafka_bootstrap: str) -> None:
    issuer = new_unit()
    mine = token("department", issuer)
    claim = {"license_types": [BUSINESS, FOOD], "stock": {BUSINESS: 1200, FOOD: 300}}
    r = await library.put(f"/claims/{issuer}", json=claim, headers=mine)
    assert r.status_code == 200 and r.json() == {"unit": issuer, "license_types": sorted([BUSINESS, FOOD]),
                                                 "declared_stock": 1500, "changed": True}
    assert (await library.put(f"/claims/{issuer}", json=claim, headers=mine)).json()["changed"] is False
    bad = await library.put(f"/claims/{issuer}", json={"license_types": ["X"], "stock": {FOOD: 1}}, headers=mine)
    assert bad.status_code == 422 and "license_types.0" in bad.json()["detail"] and "stock." in bad.json()["detail"]
    other = await library.put(f"/claims/{new_unit()}", json=claim, headers=mine)
    assert other.status_code == 403

    lid = f"AUTO-{uuid.uuid4().hex[:10]}"
    body = {"license": license_body(lid, make_uscc("450100", "MA5K0001")), "mode": "auto_incremental"}
    outcomes = [(await library.post("/licenses", json=body, headers=mine)) for _ in range(3)]
    assert [(r.status_code, r.json()["outcome"]) for r in outcomes] == [(201, "created"), (200, "unchanged"),
                                                                       (200, "unchanged")]
    pushed = await events(kafka_bootstrap, PUSHED, "license_id", lid, 1)
    await asyncio.sleep(0.5)  # a second event, if one were wrongly emitted, has time to arrive
    pushed = await events(kafka_bootstrap, PUSHED, "license_id", lid, 2)
    assert len(pushed) == 1 and pushed[0]["unit"] == issuer
    assert pushed[0]["data"] == {"license_id": lid, "license_type": BUSINESS, "push_mode": "auto_incremental",
                                 "file_format": None, "sealed": False}
    claimed = await events(kafka_bootstrap, CLAIMED, "unit", issuer, 1)
    assert len(claimed) == 1 and claimed[0]["data"]["declared_stock"] == 1500

    # A changed license is pushed again; its id cannot be taken by another issuer.
    changed = {**body, "license": {**body["license"], "valid_until": "2024-02-29"}}
    assert (await library.post("/licenses", json=changed, headers=mine)).json()["outcome"] == "updated"
    assert len(await events(kafka_bootstrap, PUSHED, "license_id", lid, 2)) == 2
    thief = new_unit()
    r = await library.post("/licenses", json=body, headers=token("department", thief))
    assert r.status_code == 409 and "another issuer" in r.json()["detail"]
    r = await library.post("/licenses", json={**body, "issuer": thief}, headers=mine)
    assert r.status_code == 403


async def test_bad_licenses_are_refused_naming_the_field_and_never_echoing_the_holder_id(
        library: httpx.AsyncClient) -> None:
    issuer = new_unit()
    person = citizen("45010219800101123")
    wrong = person[:-1] + ("0" if person[-1] != "0" else "1")
    r = await library.post("/licenses", json={"license": license_body("P-1", wrong, DRIVING)},
                           headers=token("department", issuer))
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert "license.holder_id" in r.json()["detail"] and "check character" in r.json()["detail"]
    assert wrong not in r.text
    r = await library.post("/licenses", json={"license": license_body("P-2", person, BUSINESS)},
                           headers=token("department", issuer))
    assert r.status_code == 422 and "unified social credit code" in r.json()["detail"]
    r = await library.post("/licenses", json={"license": license_body("P-3", person, DRIVING)},
                           headers=token("auditor"))
    assert r.status_code == 403


async def test_files_are_verified_on_ingest_and_the_bytes_decide(
        library: httpx.AsyncClient, kafka_bootstrap: str, authority: SealAuthority, stranger: SealAuthority,
        sm2_authority: Sm2SealAuthority) -> None:
    issuer = new_unit()
    mine = token("department", issuer)
    holder = make_uscc("450100", "MA5K0002")

    async def push(lid: str, data: bytes, claimed: str | None = None, **extra: Any) -> httpx.Response:
        return await library.post("/licenses", headers=mine, json={
            "license": license_body(lid, holder), "mode": "auto_incremental",
            "file_base64": base64.b64encode(data).decode(), "file_format": claimed, **extra})

    sealed_pdf = signed_pdf(authority, ["营业执照", "南宁市示例商贸有限公司"])
    r = await push("F-PDF", sealed_pdf, "pdf")
    assert r.status_code == 201 and r.json()["sealed"] is True and r.json()["file_format"] == "pdf"
    assert r.json()["file"]["signatures"][0]["valid"] is True
    r = await push("F-STRANGER", signed_pdf(stranger, ["营业执照"]))
    assert r.status_code == 201 and r.json()["sealed"] is False
    assert r.json()["file"]["signatures"][0]["trusted"] is False
    r = await push("F-OFD", sample_ofd("营业执照", signed_by=authority), "ofd")
    assert r.status_code == 201 and (r.json()["file_format"], r.json()["sealed"]) == ("ofd", True)
    r = await push("F-PLAIN", sample_pdf(["营业执照"]))
    assert r.status_code == 201 and r.json()["sealed"] is False
    # The national way: a GB/T 38540 seal (SM2/SM3) by the configured SM2 authority seals; a stranger's does not.
    r = await push("F-SES", sample_ofd("营业执照", signed_by=sm2_authority), "ofd")
    assert r.status_code == 201 and r.json()["sealed"] is True, r.text
    shown = r.json()["file"]["signatures"][0]
    assert (shown["kind"], shown["seal"], shown["valid"]) == ("ses", sm2_authority.seal_name, True)
    assert shown["signed_at"] is not None and "签章人" in shown["signer"]
    r = await push("F-SES-STRANGER", sample_ofd("营业执照", signed_by=make_sm2_seal_authority("某非授权机构")), "ofd")
    assert r.status_code == 201 and r.json()["sealed"] is False
    assert "not issued by the configured SM2 seal authority" in r.json()["file"]["signatures"][0]["reason"]

    # A file that is not what it claims is refused with the reason, unless the caller keeps the license.
    r = await push("F-LIE", sealed_pdf, "ofd")
    assert r.status_code == 422 and r.json()["type"].endswith("file-rejected") and "PDF" in r.json()["detail"]
    assert (await library.get("/licenses/F-LIE", headers=mine)).status_code == 404
    r = await push("F-KEPT", b"PK\x03\x04 not really a zip", "ofd", keep_without_file=True)
    assert r.status_code == 201 and r.json()["file_format"] is None and r.json()["file_refused"]
    for not_base64 in ("证照文件", "@@@@"):  # non-ASCII text was a 500 (found by the fuzzer)
        r = await library.post("/licenses", headers=mine, json={"license": license_body("F-B64", holder),
                                                                "file_base64": not_base64})
        assert r.status_code == 422 and "file_base64" in r.json()["detail"], r.text

    ofd_event = await events(kafka_bootstrap, PUSHED, "license_id", "F-OFD", 1)
    assert ofd_event[0]["data"]["file_format"] == "ofd" and ofd_event[0]["data"]["sealed"] is True

    # Verify by number (anyone signed in): valid, sealed, whose type and issuer; not whose license it is.
    found = (await library.get("/verify", params={"number": "N-F-PDF"}, headers=token("inspector"))).json()
    assert [(f["license_id"], f["status"], f["sealed"], f["file"]["format"]) for f in found] == \
        [("F-PDF", "valid", True, "pdf")]
    assert holder not in str(found) and found[0]["holder_id_masked"].endswith(holder[-2:])
    assert "holder_name" not in found[0] and found[0]["holder_name_masked"].startswith("南")
    assert "download" not in str(found)
    # The file: the issuer, units it authorised, the bureau and auditors, not any signed-in user.
    stranger = token("department", new_unit())
    assert (await library.get("/licenses/F-PDF/file", headers=stranger)).status_code == 403
    for reader in (mine, token("auditor"), token("operator")):
        got = await library.get("/licenses/F-PDF/file", headers=reader)
        assert got.status_code == 200 and got.content == sealed_pdf and got.headers["content-type"] == "application/pdf"
    full = (await library.get("/verify", params={"number": "N-F-PDF"}, headers=mine)).json()
    assert full[0]["holder_name"] == "南宁市示例商贸有限公司" and full[0]["file"]["download"]

    # A file attached later: pushed again with its format and seal.
    r = await library.put("/licenses/F-KEPT/file", content=sample_ofd("营业执照", signed_by=authority),
                          headers=mine | {"Content-Type": "application/ofd"}, params={"mode": "auto_incremental"})
    assert r.status_code == 200 and r.json()["changed"] is True and r.json()["file"]["sealed"] is True
    r = await library.put("/licenses/F-KEPT/file", content=b"%PDF-1.7 broken", headers=mine)
    assert r.status_code == 422


async def test_revocation_expiry_uses_and_lookup(library: httpx.AsyncClient, kafka_bootstrap: str,
                                                 authority: SealAuthority) -> None:
    issuer, window = new_unit(), new_unit()
    mine, desk = token("department", issuer), token("department", window)
    person = citizen("45030219900215004")
    sealed = base64.b64encode(signed_pdf(authority, ["机动车驾驶证"])).decode()
    await library.post("/licenses", headers=mine, json={"license": license_body("D-1", person, DRIVING),
                                                        "file_base64": sealed})
    await library.post("/licenses", headers=mine, json={"license": license_body("D-2", person, DRIVING,
                                                                                valid_until="2019-08-04")})
    await library.post("/licenses", headers=mine, json={"license": license_body("D-3", person, DRIVING)})

    use = {"license_id": "D-1", "item": "机动车驾驶证换证", "waived_materials": 2, "use_id": "W-1"}
    # Seeing a license is not enough to use it: the window needs the issuer's (or the bureau's) authorisation.
    refused = await library.post("/uses", json=use, headers=desk)
    assert refused.status_code == 403 and "authorisation" in refused.json()["detail"]
    stranger = new_unit()
    assert (await library.put(f"/use-authorisations/{issuer}/{window}", json={"license_types": [DRIVING]},
                              headers=token("department", stranger))).status_code == 403
    assert (await library.put(f"/use-authorisations/{issuer}/{window}", json={"license_types": [BUSINESS]},
                              headers=mine)).status_code == 200
    other_type = await library.post("/uses", json=use, headers=desk)
    assert other_type.status_code == 403  # authorised for business licenses only
    assert (await library.put(f"/use-authorisations/{issuer}/{window}", json={"license_types": [DRIVING]},
                              headers=mine)).status_code == 200
    listed = (await library.get("/use-authorisations", headers=desk)).json()
    assert listed == [{"issuer": issuer, "user_unit": window, "license_types": [DRIVING],
                       "granted_at": listed[0]["granted_at"]}]
    r = await library.post("/uses", json=use, headers=desk)
    assert r.status_code == 201 and (r.json()["issuer"], r.json()["sealed"]) == (issuer, True)
    again = await library.post("/uses", json=use, headers=desk)
    assert again.status_code == 200 and again.json()["recorded"] is False
    used = await events(kafka_bootstrap, USED, "license_id", "D-1", 1)
    assert len(used) == 1 and used[0]["unit"] == window and used[0]["data"] == {
        "license_id": "D-1", "issuer_unit": issuer, "sealed": True, "waived_materials": 2}
    r = await library.post("/uses", json={**use, "license_id": "D-2", "use_id": None}, headers=desk)
    assert r.status_code == 409 and "expired" in r.json()["detail"]

    assert (await library.post("/licenses/D-3/revoke", json={"reason": "吊销"}, headers=desk)).status_code == 403
    r = await library.post("/licenses/D-3/revoke", json={"reason": "吊销"}, headers=mine)
    assert r.json() == {"license_id": "D-3", "status": "revoked", "changed": True}
    assert (await events(kafka_bootstrap, REVOKED, "license_id", "D-3", 1))[0]["data"]["reason"] == "吊销"
    r = await library.post("/licenses", headers=mine, json={"license": license_body("D-3", person, DRIVING)})
    assert r.status_code == 409 and "revoked" in r.json()["detail"]

    held = (await library.post("/licenses/lookup", json={"holder_id": person}, headers=desk)).json()
    assert {h["license_id"]: h["status"] for h in held} == {"D-1": "valid", "D-2": "expired", "D-3": "revoked"}
    # A unit without an authorisation from the issuer finds nothing of the holder's.
    assert (await library.post("/licenses/lookup", json={"holder_id": person},
                               headers=token("department", new_unit()))).json() == []
    assert (await library.get("/licenses/D-1", headers=desk)).status_code == 403
    assert (await library.get("/licenses/D-1", headers=mine)).json()["file"]["signatures"][0]["valid"] is True


async def test_stock_import_reports_bad_lines_skips_duplicates_and_keeps_holder_ids_out_of_events(
        library: httpx.AsyncClient, database_url: str, kafka_bootstrap: str, capfd: pytest.CaptureFixture[str]) -> None:
    issuer, other = new_unit(), new_unit()
    await library.post("/licenses", headers=token("department", other),
                       json={"license": license_body("TAKEN-1", make_uscc("450100", "MA5K0003"))})
    holders = [make_uscc("450200", f"MA{i:06d}") for i in range(250)]
    rows = [orjson.dumps(license_body(f"S-{issuer[-6:]}-{i}", h)) for i, h in enumerate(holders)]
    rows[10] = b'{"license_id": "S-bad-date", "issue_date": "2019-02-30"}'
    rows[20] = orjson.dumps(license_body("S-bad-holder", "91450100MA5K00010X"))
    rows[30] = orjson.dumps(license_body("TAKEN-1", holders[30]))
    rows.insert(40, b"")  # blank lines are skipped but counted
    body = b"\n".join(rows) + b"\n"
    headers = token("department", issuer) | {"Content-Type": "application/x-ndjson"}
    r = await library.post("/licenses/import", content=body, headers=headers, params={"first_line": 101})
    report = r.json()
    assert r.status_code == 200, r.text
    assert (report["lines"], report["accepted"], report["duplicates"], report["rejected"]) == (251, 247, 0, 3)
    assert [e["line"] for e in report["errors"]] == [111, 121, 131]
    assert "issue_date" in report["errors"][0]["reason"] and "holder_id" in report["errors"][1]["reason"]
    assert "another issuer" in report["errors"][2]["reason"]
    again = (await library.post("/licenses/import", content=body, headers=headers)).json()
    assert (again["accepted"], again["duplicates"], again["rejected"]) == (0, 247, 3)

    pushed = [e for e in await events(kafka_bootstrap, PUSHED, "unit", issuer, 247) if e["unit"] == issuer]
    assert len(pushed) == 247 and {e["data"]["push_mode"] for e in pushed} == {"stock"}
    assert len({e["data"]["license_id"] for e in pushed}) == 247
    raw = b"".join(await read_topic(kafka_bootstrap, PUSHED, expect=10**6, timeout=0.5))
    out, err = capfd.readouterr()
    for h in holders[:50]:
        assert h.encode() not in raw and h not in out and h not in err

    await library.put(f"/claims/{issuer}", json={"license_types": [BUSINESS, FOOD], "stock": {BUSINESS: 494}},
                      headers=token("department", issuer))
    stats = (await library.get("/stats/issuers", headers=token("department", issuer))).json()
    assert len(stats) == 1
    s = stats[0]
    assert (s["claimed_types"], s["claimed_types_pushed"], s["types_pushed_rate"]) == (2, 1, "0.5000")
    assert (s["declared_stock"], s["stock_pushed"], s["stock_aggregation_rate"]) == (494, 247, "0.5000")
    assert (s["with_file_rate"], s["sealed_rate"], s["last_auto_push"]) == ("0.0000", "0.0000", None)
    everyone = (await library.get("/stats/issuers", headers=token("operator"))).json()
    assert {issuer, other} <= {x["issuer"] for x in everyone}


async def test_the_audit_trail_answers_who_looked_up_a_holder(library: httpx.AsyncClient,
                                                              database_url: str) -> None:
    issuer, window, snoop = new_unit(), new_unit(), new_unit()
    person = citizen("45030219850715002")
    mine, desk = token("department", issuer), token("department", window)
    await library.post("/licenses", headers=mine, json={"license": license_body("AU-1", person, DRIVING)})
    await library.put(f"/use-authorisations/{issuer}/{window}", headers=mine, json={"license_types": None})
    looked = await library.post("/licenses/lookup", json={"holder_id": person}, headers=desk)
    assert looked.status_code == 200 and looked.headers["x-request-id"]
    assert (await library.get("/licenses/AU-1/file", headers=token("department", snoop))).status_code in (403, 404)
    assert (await library.get("/licenses/AU-1", headers=token("department", snoop))).status_code == 403
    assert (await library.post("/licenses", json={"license": {}})).status_code == 401  # anonymous write

    auditor = token("auditor")
    trail = (await library.get("/audit", params={"target": person}, headers=auditor)).json()["entries"]
    assert [(e["actor"], e["unit"], e["outcome"]) for e in trail] == [(f"department:{window}", window, "ok")]
    assert trail[0]["request_id"] == looked.headers["x-request-id"] and person not in str(trail)
    denied = (await library.get("/audit", params={"actor": f"department:{snoop}"}, headers=auditor)).json()
    assert {e["outcome"] for e in denied["entries"]} == {"denied"} and len(denied["entries"]) == 2
    assert any(e["action"].startswith("read personal data") for e in denied["entries"])
    anonymous = (await library.get("/audit", params={"actor": "anonymous", "outcome": "denied"},
                                   headers=auditor)).json()["entries"]
    assert any(e["action"] == "POST /licenses" for e in anonymous)
    assert (await library.get("/audit", headers=desk)).status_code == 403
    # Append-only: the database itself refuses to change the trail.
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("DELETE FROM elicense.audit")
    finally:
        await conn.close()


async def test_abnormal_data_reaches_its_issuer_and_the_correction_shows_in_statistics(
        library: httpx.AsyncClient, kafka_bootstrap: str) -> None:
    issuer, other = new_unit(), new_unit()
    mine = token("department", issuer)
    holder = make_uscc("450100", "MA5K0003")
    tag = uuid.uuid4().hex[:6]

    async def push(lid: str, number: str) -> None:
        r = await library.post("/licenses", headers=mine, json={
            "license": license_body(lid, holder, number=number), "mode": "auto_incremental"})
        assert r.status_code in (200, 201), r.text

    await push(f"A-{tag}-1", f"N-{tag}")
    await push(f"A-{tag}-2", f"N-{tag}")  # the same number as the first
    [found] = (await library.get("/anomalies", headers=mine, params={"status": "open"})).json()
    assert (found["license_id"], found["code"], found["status"]) == (f"A-{tag}-2", "duplicate-number", "open")
    assert (await library.get("/anomalies", headers=token("department", other))).json() == []  # not its list
    r = await library.put("/admin/clock", json={"now": "2019-08-06T15:00:00+08:00"}, headers=token("operator"))
    assert r.status_code == 200
    await push(f"A-{tag}-2", f"N-{tag}-B")  # corrected
    assert (await library.get("/anomalies", headers=mine, params={"status": "open"})).json() == []
    [line] = (await library.get("/anomalies/stats", headers=mine)).json()
    assert (line["issuer"], line["open"], line["corrected"], line["mean_hours_to_correct"]) == (issuer, 0, 1, "30.00")
    events: list[bytes] = []
    for _ in range(100):
        events = [v for v in await read_topic(kafka_bootstrap, "hub.elicense.license-corrected.v1", expect=10_000,
                                              timeout=0.5) if orjson.loads(v)["unit"] == issuer]
        if events:
            break
        await asyncio.sleep(0.1)
    assert orjson.loads(events[0])["data"]["seconds_to_correct"] == 30 * 3600


async def test_a_new_license_type_is_proposed_returned_resubmitted_registered_claimed_and_pushed(
        library: httpx.AsyncClient, kafka_bootstrap: str) -> None:
    issuer, other = new_unit(), new_unit()
    mine, bureau = token("department", issuer), token("operator")
    tag = uuid.uuid4().hex[:6]
    fields = [{"name": "capital", "label": "注册资本", "kind": "number", "required": True},
              {"name": "scope", "label": "经营范围"}]
    body = {"name": f"林木种子生产经营许可证-{tag}", "sector": "自治区林业局", "holder_kind": "organisation",
            "fields": fields}
    for bad, status in [({**body, "fields": [{"name": "Capital", "label": "x"}]}, 422),
                        ({**body, "fields": [fields[0], fields[0]]}, 422),
                        ({**body, "holder_kind": "robot"}, 422),
                        ({**body, "name": "营业执照"}, 409)]:
        r = await library.post("/license-types/proposals", headers=mine, json=bad)
        assert r.status_code == status, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
    r = await library.post("/license-types/proposals", headers=mine, json=body)
    assert r.status_code == 201, r.text
    proposal = r.json()
    pid = proposal["proposal_id"]
    assert (proposal["status"], proposal["review_due"]) == ("proposed", "2019-08-13T00:00:00+08:00")
    assert [p["proposal_id"] for p in (await library.get("/license-types/proposals", headers=token(
        "department", other))).json()] == []  # another department does not see it
    queue = (await library.get("/license-types/proposals", headers=bureau, params={"status": "proposed"})).json()
    assert any(p["proposal_id"] == pid and p["overdue"] is False for p in queue)
    assert (await library.post(f"/license-types/proposals/{pid}/register", headers=mine, json={})).status_code == 403
    assert (await library.post("/license-types/proposals/ltp-000000000000/register", headers=bureau,
                               json={})).status_code == 404
    r = await library.post(f"/license-types/proposals/{pid}/return", headers=bureau,
                           json={"reason": "经营范围应为必填", "field_reasons": {"fields.scope": "应为必填"}})
    assert r.status_code == 200 and r.json()["status"] == "returned"
    fields[1]["required"] = True
    r = await library.put(f"/license-types/proposals/{pid}", headers=mine, json={**body, "fields": fields})
    assert r.status_code == 200 and (r.json()["status"], r.json()["round"]) == ("proposed", 2)
    r = await library.post(f"/license-types/proposals/{pid}/register", headers=bureau, json={})
    assert r.status_code == 200, r.text
    code = r.json()["code"]
    assert code == f"{issuer}001"
    shown = (await library.get(f"/license-types/{code}", headers=mine)).json()
    assert (shown["version"], shown["source"], [f["name"] for f in shown["fields"]]) == (1, "registered",
                                                                                        ["capital", "scope"])
    assert any(t["code"] == code for t in (await library.get("/license-types", headers=mine,
                                                             params={"source": "registered"})).json())
    assert (await library.put(f"/claims/{issuer}", headers=mine, json={"license_types": [code]})).status_code == 200

    holder = make_uscc("450100", "MA5K0007")
    lic = license_body(f"T-{tag}-1", holder, license_type=code, fields={"capital": "500", "scope": "林木种子生产"})
    r = await library.post("/licenses", headers=mine, json={"license": lic, "mode": "auto_incremental"})
    assert r.status_code == 201, r.text
    read = (await library.get(f"/licenses/T-{tag}-1", headers=mine)).json()
    assert (read["fields"], read["type_version"], read["type_name"]) == (
        {"capital": "500", "scope": "林木种子生产"}, 1, body["name"])
    verified = (await library.get("/verify", headers=token("department", other),
                                  params={"number": lic["number"]})).json()
    assert verified and "fields" not in verified[0]  # what a stranger learns by verifying: not the details
    wrong = await library.post("/licenses", headers=mine, json={"license": {**lic, "fields": {"colour": "red"}},
                                                                 "mode": "auto_incremental"})
    assert wrong.status_code == 422 and "not a field of license type" in wrong.json()["detail"]
    bare = license_body(f"T-{tag}-2", holder, license_type=code, number=f"M-{tag}", fields={"capital": "1"})
    assert (await library.post("/licenses", headers=mine, json={"license": bare})).status_code == 201
    [found] = (await library.get("/anomalies", headers=mine, params={"status": "open"})).json()
    assert (found["license_id"], found["code"]) == (f"T-{tag}-2", "missing-field") and "scope" in found["detail"]
    registered = await events(kafka_bootstrap, "hub.elicense.license-type-registered.v1", "proposal_id", pid, 1)
    assert registered[0]["data"]["code"] == code and registered[0]["data"]["fields"][1]["required"] is True
    assert registered[0]["unit"] == issuer


async def test_a_file_that_does_not_show_the_license_number_is_abnormal_until_the_right_one_is_attached(
        library: httpx.AsyncClient, sm2_authority: Sm2SealAuthority) -> None:
    issuer = new_unit()
    mine = token("department", issuer)
    tag = uuid.uuid4().hex[:6]
    lic = license_body(f"M-{tag}", make_uscc("450100", "MA5K0009"), number=f"N-{tag}-1")
    other = sample_pdf([f"营业执照 证照编号 N-{tag}-2"])  # another license's file
    r = await library.post("/licenses", headers=mine, json={
        "license": lic, "file_base64": base64.b64encode(other).decode()})
    assert r.status_code == 201, r.text
    [found] = (await library.get("/anomalies", headers=mine, params={"status": "open"})).json()
    assert (found["code"], found["license_id"]) == ("file-mismatch", f"M-{tag}") and f"N-{tag}-1" in found["detail"]
    right = sample_ofd(f"营业执照 证照编号 N-{tag}-1", signed_by=sm2_authority)  # an OFD sealed the national way
    r = await library.put(f"/licenses/M-{tag}/file", headers=mine | {"Content-Type": "application/ofd"},
                          content=right)
    assert r.status_code == 200, r.text
    assert (await library.get("/anomalies", headers=mine, params={"status": "open"})).json() == []
    [line] = (await library.get("/anomalies/stats", headers=mine)).json()
    assert (line["open"], line["corrected"]) == (0, 1)


async def test_a_window_uses_a_license_in_a_listed_item_and_the_statistics_count_what_it_waived(
        library: httpx.AsyncClient) -> None:
    issuer, window = new_unit(), new_unit()
    tag = uuid.uuid4().hex[:6]
    code = f"450000-QYKB-{tag}"
    listing = {"name": "企业开办", "handling_unit": window,
               "accepts": [{"license_type": BUSINESS, "materials": ["营业执照复印件", "营业执照副本"]}]}
    assert (await library.put(f"/service-items/{code}", headers=token("department", issuer),
                              json=listing)).status_code == 403  # not the item's handling unit
    r = await library.put(f"/service-items/{code}", headers=token("department", window), json=listing)
    assert r.status_code == 200 and (r.json()["version"], r.json()["changed"]) == (1, True)
    assert any(i["code"] == code for i in (await library.get("/service-items", headers=token("department", issuer),
                                                             params={"license_type": BUSINESS})).json())
    mine = token("department", issuer)
    lic = license_body(f"U-{tag}", make_uscc("450100", "MA5K0011"))
    assert (await library.post("/licenses", headers=mine, json={"license": lic})).status_code == 201
    assert (await library.put(f"/use-authorisations/{issuer}/{window}", headers=mine,
                              json={"license_types": None})).status_code == 200
    at_window = token("department", window)
    wrong = await library.post("/uses", headers=at_window, json={
        "license_id": f"U-{tag}", "item_code": code, "materials": ["户口簿"]})
    assert wrong.status_code == 422 and "营业执照复印件" in wrong.json()["detail"]
    r = await library.post("/uses", headers=at_window, json={
        "license_id": f"U-{tag}", "item_code": code, "materials": ["营业执照复印件", "营业执照副本"]})
    assert r.status_code == 201 and r.json()["waived_materials"] == 2, r.text
    stats = (await library.get("/stats/service-items", headers=at_window)).json()
    assert stats["by_item"] == [{"item_code": code, "name": "企业开办", "handling_unit": window,
                                 "license_type": BUSINESS, "uses": 1, "materials_waived": 2}]
    assert stats["unlisted"] == []  # a department sees the items it handles
    overall = (await library.get("/stats/service-items", headers=token("operator"))).json()
    assert any(row["item_code"] == code for row in overall["by_item"])
    [used] = [u for u in (await library.get("/uses", headers=at_window)).json() if u["license_id"] == f"U-{tag}"]
    assert (used["item_code"], used["materials"]) == (code, ["营业执照复印件", "营业执照副本"])


async def test_a_stock_import_flags_abnormal_data_as_single_pushes_would(library: httpx.AsyncClient,
                                                                         kafka_bootstrap: str) -> None:
    """Stock bypassed the checks: a million licenses could carry duplicate numbers unseen. Two lines with one
    number (both flagged), one issued after the import day, one clean; the import again flags nothing more."""
    issuer = new_unit()
    tag = uuid.uuid4().hex[:6]
    holder = make_uscc("450100", "MA5K0013")
    lines = [license_body(f"D-{tag}-1", holder, number=f"N-{tag}"),
             license_body(f"D-{tag}-2", holder, number=f"N-{tag}"),
             license_body(f"D-{tag}-3", holder, issue_date="2019-09-01"), license_body(f"D-{tag}-4", holder)]
    body = b"\n".join(orjson.dumps(x) for x in lines) + b"\n"
    headers = token("department", issuer) | {"Content-Type": "application/x-ndjson"}
    report = (await library.post("/licenses/import", content=body, headers=headers)).json()
    assert (report["accepted"], report["flagged"]) == (4, 3), report
    listed = (await library.get("/anomalies", headers=token("department", issuer), params={"status": "open"})).json()
    assert sorted((a["license_id"], a["code"]) for a in listed) == [
        (f"D-{tag}-1", "duplicate-number"), (f"D-{tag}-2", "duplicate-number"), (f"D-{tag}-3", "issued-in-the-future")]
    again = (await library.post("/licenses/import", content=body, headers=headers)).json()
    assert (again["accepted"], again["flagged"]) == (0, 0)
    flagged = await events(kafka_bootstrap, "hub.elicense.license-flagged.v1", "license_id", f"D-{tag}-3", 1)
    assert flagged[0]["unit"] == issuer and flagged[0]["data"]["anomalies"][0]["code"] == "issued-in-the-future"
