"""#20 part 3 on the real service: the evidence package of a month the service closed verifies as identical
by itself (the events the projection had folded, replayed under the ruleset, hash to the month's seal), and
still does after later facts arrived; only auditors and the bureau get it, and only for a closed month."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from contracts import new_envelope
from contracts.registry_events import UnitRegistered
from hubkit.testing import running_app, token
from scoring.audit import archived_lines
from scoring.bootstrap import create_app
from scoring.domain.ruleset import builtin_ruleset
from scoring.evidence import verify
from scoring.messaging import batches
from scoring.replay import replay
from scoring.settings import ScoringSettings

from tests.pdf_render import CHART_TITLES, render
from tests.scoring_live.test_live_projection import SH, failed_call, publish, registered, unique_unit
from tests.scoring_live.test_scoring_api import close_month, eventually

pytestmark = pytest.mark.integration


async def test_a_closed_months_evidence_verifies_as_identical(database_url: str, kafka_bootstrap: str,
                                                              tmp_path: Path) -> None:
    unit, other = unique_unit(), unique_unit()
    await publish(kafka_bootstrap, [registered(unit, "自治区证据厅"), registered(other, "自治区旁证厅")])
    settings = ScoringSettings(submissions="none", inventory="none", database_url=database_url,
                               kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.1, simulated_clock=True,
                               simulated_start="2019-08-10T10:00:00+08:00")
    operator, auditor, inspector = token("operator"), token("auditor"), token("inspector")
    async with running_app(create_app(settings)) as client:
        finding = {"finding_id": f"f-{unit}", "unit": unit, "item": "A1.2", "effect": "holds",
                   "occurred_at": "2019-08-10T09:00:00+08:00"}
        assert (await client.post("/findings", json=finding, headers=inspector)).status_code == 202
        await eventually(client, f"/scores/{unit}?month=2019-08", lambda b: b["x"] == "98.00", operator)
        assert (await client.get("/months/2019-08/evidence", headers=auditor)).status_code == 404  # not closed
        await publish(kafka_bootstrap, [failed_call(other, unique_unit(), 1).model_copy(
            update={"occurred_at": datetime(2019, 9, 2, 9, 0, tzinfo=SH)})])
        await eventually(client, f"/scores/{other}?month=2019-09", lambda b: True, operator)
        closed = await close_month(client, "2019-08", operator)
        assert closed.status_code == 201, closed.text

        r = await client.get("/months/2019-08/evidence", headers=auditor)
        assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
        assert r.headers["x-evidence-seal"] == closed.json()["sha256"]
        first = tmp_path / "evidence-2019-08.zip"
        first.write_bytes(r.content)
        verdict = verify(first)
        assert verdict.identical, verdict.problems
        assert verdict.events == closed.json()["last_position"] and verdict.units >= 2

        # A fact about August after the close: the package still holds what the close saw, and verifies.
        await client.put("/admin/clock", json={"now": "2019-09-05T10:00:00+08:00"}, headers=operator)
        assert (await client.post(f"/findings/f-{unit}/retract", json={"reason": "已报送"},
                                  headers=inspector)).status_code == 200
        await eventually(client, f"/scores/{unit}?month=2019-08", lambda b: b["x"] == "100.00", operator)
        # The auditor's replay of the archive agrees with the live score, though the retraction came after August.
        intact, _, lines = await asyncio.to_thread(archived_lines, settings, "2019-08")
        replayed = {u.unit: u for u in replay(lines, builtin_ruleset(), "2019-08").result.units}
        assert intact and replayed[unit].x == Decimal("100.00")
        later = tmp_path / "later.zip"
        later.write_bytes((await client.get("/months/2019-08/evidence", headers=operator)).content)
        assert verify(later).identical and later.read_bytes() != b""
        for who in (token("department", unit), inspector):
            assert (await client.get("/months/2019-08/evidence", headers=who)).status_code == 403
        assert (await client.get("/months/2019-13/evidence", headers=auditor)).status_code == 422

        # The month's bulletin: for everyone signed in; published without a token only when the bureau says so.
        page = await client.get("/months/2019-08/bulletin", headers=token("department", unit))
        assert page.status_code == 200 and "考核结果通报" in page.text and "自治区证据厅" in page.text
        pdf = await client.get("/months/2019-08/bulletin.pdf", headers=auditor)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
        pages = render(pdf.content)  # as a reader shows it: Chinese text that maps back, charts drawn
        text = "".join(p.text for p in pages)
        assert "考核结果通报" in text and "自治区证据厅" in text
        assert sum(title in text for title in CHART_TITLES) >= 3 and min(p.ink for p in pages) > 0.005
        assert (await client.get("/months/2019-07/bulletin", headers=auditor)).status_code == 404
        assert (await client.get("/public/bulletins/2019-08")).status_code == 404
        client.cookies.set("hub_console", operator["Authorization"][7:])  # the console links to it
        listed = await client.get("/console/months")
        assert "/console/months/2019-08/bulletin" in listed.text and "月度通报" in listed.text
        assert "自治区证据厅" in (await client.get("/console/months/2019-08/bulletin")).text
        client.cookies.clear()
    published = settings.model_copy(update={"bulletin_public": True})
    async with running_app(create_app(published)) as client:
        page = await client.get("/public/bulletins/2019-08")
        assert page.status_code == 200 and "自治区证据厅" in page.text and "/public/bulletins/2019-08.pdf" in page.text
        assert (await client.get("/public/bulletins/2019-08.pdf")).content.startswith(b"%PDF-")
        assert (await client.get("/months/2019-08/bulletin")).status_code == 401  # the rest still needs a token


async def test_a_close_seals_what_is_committed_not_what_memory_folded_ahead(
        database_url: str, kafka_bootstrap: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The projection folds a batch into memory before its commit is done (the next batch is scored while the
    last one commits), so a close may come while memory holds facts the archive does not have yet: here a batch
    folded after the close saw the projection caught up, whose commit is held back. The close holds the
    projection still at a committed position (the commit in flight done, nothing new folded) and seals what
    memory holds there: the auditors replay the archive up to that position and find the same seal."""
    unit = unique_unit()
    await publish(kafka_bootstrap, [registered(unit, "自治区封存厅"), failed_call(unit, unique_unit(), 5),
                                    failed_call(unit, unique_unit(), 1).model_copy(
                                        update={"occurred_at": datetime(2019, 9, 2, 9, 0, tzinfo=SH)})])
    settings = ScoringSettings(submissions="none", inventory="none", database_url=database_url,
                               kafka_bootstrap=kafka_bootstrap, outbox_poll_seconds=0.1)
    operator = token("operator")
    app = create_app(settings)
    async with running_app(app) as client:
        await eventually(client, f"/scores/{unit}?month=2019-09", lambda b: True, operator)
        projector = app.state.projector
        # An exemption of the unit from August on (a registration holds in every month, whenever it was made),
        # whose batch's commit waits until the close is under way.
        ahead = new_envelope(UnitRegistered(name="自治区封存厅", kind="department", division_code="450000",
                                            exempt_from=date(2019, 8, 1), exempt_basis="桂数函〔2019〕258号"),
                             unit=unit, occurred_at=datetime(2019, 9, 3, 9, tzinfo=SH))
        release, store = asyncio.Event(), batches.store

        async def held_back(conn: Any, batch: batches.Batch, *args: Any) -> int:
            if any(row[0] == ahead.id for row in batch.rows):
                await release.wait()
            return await store(conn, batch, *args)

        monkeypatch.setattr(batches, "store", held_back)
        await publish(kafka_bootstrap, [ahead])
        for _ in range(600):  # bounded: 60 s
            if projector.projection.store.directory.scored(unit, "2019-08") is None:
                break  # folded into memory, its commit waiting
            await asyncio.sleep(0.1)
        position = projector.position

        async def caught_up(timeout: float) -> int:
            return 0  # the batch came after the close's look at the broker

        monkeypatch.setattr(projector, "caught_up", caught_up)
        closing = asyncio.create_task(client.post("/months/2019-08/close", headers=operator))
        for _ in range(600):  # bounded: 60 s
            if projector.stillness.holding:
                break
            await asyncio.sleep(0.1)
        assert projector.position == position and not closing.done()  # the close waits for the commit
        release.set()
        closed = await closing
        assert closed.status_code == 201, closed.text
        assert closed.json()["last_position"] > position  # sealed after the batch committed, with it
        month = (await client.get("/months/2019-08", headers=operator)).json()
        assert unit not in {u["unit"] for u in month["units"]}  # exempt: committed before the seal
        package = tmp_path / "evidence.zip"
        package.write_bytes((await client.get("/months/2019-08/evidence", headers=operator)).content)
        verdict = verify(package)
        assert verdict.identical, verdict.problems
