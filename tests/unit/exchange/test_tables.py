"""Table exchange without servers: rows checked against the catalog's information items, keys against what is
stored, all or nothing, and the quality report of a refused batch kept."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import orjson
import pytest
from contracts.values import build_resource_code, make_uscc
from contracts.workdays import SHANGHAI
from exchange.domain import tables
from exchange.service import commands as c
from exchange.service import tables as use_case
from hubkit.auth import Principal, Role
from hubkit.problems import Problem
from hypothesis import given, settings
from hypothesis import strategies as st

from .fakes import FakeExchangeUnitOfWork

PROVIDER, OTHER = make_uscc("450000", "PR000001"), make_uscc("450000", "XT000001")
TABLE = build_resource_code("450000", PROVIDER, 3)
FILE = build_resource_code("450000", PROVIDER, 4)
AT = datetime(2019, 8, 5, 10, 0, tzinfo=SHANGHAI)
ITEMS = [{"name": "统一社会信用代码", "type": "string", "length": 18, "key": True},
         {"name": "名称", "type": "字符型", "length": 10, "required": True},
         {"name": "注册资本", "type": "decimal", "length": 12},
         {"name": "成立日期", "type": "日期型"},
         {"name": "员工数", "type": "integer", "length": 6},
         {"name": "在业", "type": "boolean"}]
COLS = tables.columns_of(ITEMS)
A, B = "91450100MA5K000001", "91450100MA5K000002"


def jsonl(*changes: dict[str, object]) -> bytes:
    return b"\n".join(orjson.dumps(ch) for ch in changes) + b"\n"


def ins(key: str, **row: object) -> dict[str, object]:
    return {"op": "insert", "row": {"统一社会信用代码": key, "名称": "某公司", **row}}


def errors(body: bytes, fmt: tables.Format = "jsonl") -> list[tuple[int, str | None, str]]:
    return [(e.line, e.field, e.reason) for e in tables.check(body, fmt, COLS).errors]


def test_catalog_type_words_map_to_kinds_and_a_table_without_key_items_is_keyed_by_all() -> None:
    assert [(col.kind, col.key, col.required) for col in COLS] == [
        ("string", True, True), ("string", False, True), ("decimal", False, False), ("date", False, False),
        ("integer", False, False), ("boolean", False, False)]
    unkeyed = tables.columns_of([{"name": "a", "type": "int"}, {"name": "b", "type": "whatever"}])
    assert [(col.kind, col.key) for col in unkeyed] == [("integer", True), ("string", True)]


def test_good_rows_pass_and_values_are_stored_canonically() -> None:
    checked = tables.check(jsonl(ins(A, 注册资本="12.340", 成立日期="2019-08-01", 员工数=12, 在业=True),
                                 ins(B, 注册资本=0.1)), "jsonl", COLS)
    assert checked.error_count == 0
    assert checked.changes[0].row == {"统一社会信用代码": A, "名称": "某公司", "注册资本": "12.340",
                                      "成立日期": "2019-08-01", "员工数": 12, "在业": True}
    assert checked.changes[1].row is not None and checked.changes[1].row["注册资本"] == "0.1"  # never a float
    assert checked.changes[0].key == orjson.dumps([A]).decode()


def test_each_bad_row_is_reported_with_its_line_item_and_reason() -> None:
    body = jsonl(ins(A, 名称="一个名称长过十个字符的公司名称"),
                 {"op": "insert", "row": {"统一社会信用代码": B}},
                 ins(B, 员工数="12"),
                 ins(B, 成立日期="2019-13-01", 注册资本="abc"),
                 ins(B, 邮编="530000"),
                 {"op": "upsert", "row": {"统一社会信用代码": B}},
                 {"op": "delete", "row": {"名称": "x"}},
                 ins(B, 员工数=1234567, 在业="yes"))
    assert errors(body + b"not json\n") == [
        (1, "名称", "longer than 10"),
        (2, "名称", "a required item needs a value"),
        (3, "员工数", "expected an integer"),
        (4, "注册资本", "expected a number"),
        (4, "成立日期", "expected an ISO date text"),
        (5, "邮编", "not an information item of the resource"),
        (6, "op", "'upsert' is not insert, update or delete"),
        (7, "统一社会信用代码", "a key item needs a value"),
        (8, "员工数", "longer than 6"),
        (8, "在业", "expected true or false"),
        (9, None, "not a JSON object")]


def test_csv_rows_with_an_op_column_and_empty_cells() -> None:
    body = "_op,统一社会信用代码,名称,员工数,在业\ninsert,{A},甲,12,是\n,{B},乙,,否\ndelete,{A},,,\nupdate,{B},乙,x,\n"
    checked = tables.check(body.format(A=A, B=B).encode(), "csv", COLS)
    assert [(ch.op, ch.row) for ch in checked.changes] == [
        ("insert", {"统一社会信用代码": A, "名称": "甲", "员工数": 12, "在业": True}),
        ("insert", {"统一社会信用代码": B, "名称": "乙", "在业": False}), ("delete", None)]
    assert [(e.line, e.field) for e in checked.errors] == [(5, "员工数")]
    with pytest.raises(tables.BatchUnreadable):
        tables.check(b"x,y\n1,2\n", "csv", COLS)
    with pytest.raises(tables.BatchUnreadable):
        tables.check(b"\n\n", "jsonl", COLS)
    with pytest.raises(tables.BatchUnreadable):
        tables.check(b"\xff\xfe", "jsonl", COLS)


def test_keys_are_checked_in_order_against_what_is_stored() -> None:
    key_a = orjson.dumps([A]).decode()
    checked = tables.check(jsonl(ins(A), {"op": "update", "row": {"统一社会信用代码": A, "名称": "改名"}},
                                 ins(B), {"op": "delete", "row": {"统一社会信用代码": B}}), "jsonl", COLS)
    net = tables.against(checked, set())
    assert checked.error_count == 0
    assert (net.inserts, net.updates, net.deletes) == ({key_a: {"统一社会信用代码": A, "名称": "改名"}}, {}, set())
    stored = tables.check(jsonl(ins(A), {"op": "update", "row": {"统一社会信用代码": B, "名称": "x"}},
                                {"op": "delete", "row": {"统一社会信用代码": A}}), "jsonl", COLS)
    tables.against(stored, {key_a})
    assert [(e.line, e.reason) for e in stored.errors] == [
        (1, "insert: a row with this key is there already (update it)"), (2, "update: no row with this key")]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["insert", "update", "delete"]), st.integers(0, 5),
                          st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=10)),
                min_size=1, max_size=30))
def test_a_batch_is_applied_whole_or_not_at_all_like_a_dict(ops: list[tuple[str, int, str]]) -> None:
    """The stored table after each batch is what applying its changes to a dict in order gives; a batch with
    one misfit change leaves it as it was."""
    uow = FakeExchangeUnitOfWork()
    uow.rows.resources[TABLE] = {"code": TABLE, "provider": PROVIDER, "mount_kind": "table",
                                 "items": [{"name": "id", "type": "integer", "key": True},
                                           {"name": "v", "type": "string"}]}
    model: dict[int, str] = {}
    import asyncio

    async def run() -> None:
        for start in range(0, len(ops), 5):
            chunk = ops[start:start + 5]
            trial, fits = dict(model), True
            for op, key, value in chunk:
                if (op == "insert") == (key in trial):
                    fits = False
                elif op == "delete":
                    del trial[key]
                else:
                    trial[key] = value
            body = jsonl(*({"op": op, "row": {"id": key, "v": value}} for op, key, value in chunk))
            try:
                await use_case.deliver_batch(c.DeliverBatch(dept(PROVIDER), TABLE, body, "jsonl", AT), uow)
            except Problem as refused:
                assert not fits and refused.status == 422
            else:
                assert fits
                model.clear()
                model.update(trial)
            stored = {orjson.loads(k)[0]: r["v"] for k, r in uow.tables.rows.get(TABLE, {}).items()}
            assert stored == model

    asyncio.run(run())


def dept(unit: str) -> Principal:
    return Principal(f"department:{unit}", Role.department, unit=unit)


def hub() -> FakeExchangeUnitOfWork:
    uow = FakeExchangeUnitOfWork()
    uow.rows.resources[TABLE] = {"code": TABLE, "provider": PROVIDER, "mount_kind": "table", "items": ITEMS}
    uow.rows.resources[FILE] = {"code": FILE, "provider": PROVIDER, "mount_kind": "file", "items": ITEMS}
    return uow


async def test_an_accepted_batch_is_stored_and_said_with_its_cursor_positions() -> None:
    uow = hub()
    first = await use_case.deliver_batch(c.DeliverBatch(dept(PROVIDER), TABLE, jsonl(ins(A), ins(B)), "jsonl", AT),
                                         uow)
    assert first | {"batch_id": "-"} == {"batch_id": "-", "accepted": True, "rows": 2, "inserted": 2, "updated": 0,
                                         "deleted": 0, "first_seq": 1, "last_seq": 2}
    body = f"_op,统一社会信用代码,名称\nupdate,{A},新名\ndelete,{B},\n".encode()
    second = await use_case.deliver_batch(c.DeliverBatch(dept(PROVIDER), TABLE, body, "csv", AT), uow)
    assert (second["updated"], second["deleted"], second["first_seq"], second["last_seq"]) == (1, 1, 3, 4)
    [event] = [e for e in uow.committed_events if e.type == "exchange.table-batch-accepted"][-1:]
    assert (event.unit, event.data.batch_id, event.data.first_seq) == (PROVIDER, second["batch_id"], 3)
    assert list(uow.tables.rows[TABLE].values()) == [{"统一社会信用代码": A, "名称": "新名"}]
    assert [op for _, _, op, _, _ in uow.tables.changes[TABLE]] == ["insert", "insert", "update", "delete"]


async def test_a_refused_batch_stores_no_row_and_keeps_its_report() -> None:
    uow = hub()
    body = jsonl(ins(A), ins(B, 员工数="many"))
    with pytest.raises(Problem) as refused:
        await use_case.deliver_batch(c.DeliverBatch(dept(PROVIDER), TABLE, body, "jsonl", AT), uow)
    assert refused.value.status == 422
    assert refused.value.extra["errors"] == [{"line": 2, "field": "员工数", "reason": "expected an integer"}]
    assert TABLE not in uow.tables.rows and TABLE not in uow.tables.changes and TABLE not in uow.tables.last
    [report] = uow.tables.batches.values()
    assert (report["accepted"], report["errors"], report["counts"]["rows"]) == (False, 1, 2)
    assert not [e for e in uow.committed_events if e.type == "exchange.table-batch-accepted"]
    # A key clash with what is stored is refused the same way, and the cursor does not move.
    await use_case.deliver_batch(c.DeliverBatch(dept(PROVIDER), TABLE, jsonl(ins(A)), "jsonl", AT), uow)
    with pytest.raises(Problem):
        await use_case.deliver_batch(c.DeliverBatch(dept(PROVIDER), TABLE, jsonl(ins(B), ins(A)), "jsonl", AT), uow)
    assert uow.tables.last[TABLE] == 1 and len(uow.tables.rows[TABLE]) == 1


@pytest.mark.parametrize(("who", "code", "status"), [(OTHER, TABLE, 403), (PROVIDER, FILE, 409),
                                                     (PROVIDER, build_resource_code("450000", PROVIDER, 9), 404)])
async def test_only_the_provider_delivers_and_only_to_a_table(who: str, code: str, status: int) -> None:
    uow = hub()
    with pytest.raises(Problem) as refused:
        await use_case.deliver_batch(c.DeliverBatch(dept(who), code, jsonl(ins(A)), "jsonl", AT), uow)
    assert refused.value.status == status
    assert not uow.tables.batches and not uow.committed_events


async def test_a_resource_without_information_items_cannot_be_checked() -> None:
    uow = hub()
    uow.rows.resources[TABLE]["items"] = []
    with pytest.raises(Problem) as refused:
        await use_case.deliver_batch(c.DeliverBatch(dept(PROVIDER), TABLE, jsonl(ins(A)), "jsonl", AT), uow)
    assert refused.value.status == 409 and "information items" in refused.value.detail


def test_csv_written_by_the_csv_module_round_trips() -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["统一社会信用代码", "名称"])
    writer.writerow([A, '带,逗号和"引号"的名称'[:10]])
    checked = tables.check(out.getvalue().encode(), "csv", COLS)
    assert checked.error_count == 0 and checked.changes[0].row == {"统一社会信用代码": A,
                                                                   "名称": '带,逗号和"引号"的名称'[:10]}


async def test_an_upheld_dispute_on_a_table_names_the_batch_that_corrected_it() -> None:
    from datetime import timedelta

    from exchange.service import handlers

    uow = FakeExchangeUnitOfWork()
    uow.rows.publish(TABLE, PROVIDER, "unconditional")
    uow.rows.resources[TABLE] |= {"mount_kind": "table", "items": ITEMS}
    before = await use_case.deliver_batch(c.DeliverBatch(dept(PROVIDER), TABLE, jsonl(ins(A)), "jsonl", AT), uow)
    await handlers.submit_request(c.SubmitRequest(dept(OTHER), OTHER, TABLE, "核验", AT), uow)
    raised = await handlers.raise_dispute(c.RaiseDispute(dept(OTHER), TABLE, "名称有误", AT + timedelta(hours=1)), uow)

    def answer(delivery: str | None) -> c.AnswerDispute:
        return c.AnswerDispute(dept(PROVIDER), raised["id"], True, "核实有误，已更正", AT + timedelta(hours=3),
                               correction="已重新交换", correction_delivery=delivery)

    for delivery in (None, before["batch_id"], "tb-unknown"):  # none, one from before the dispute, no such batch
        with pytest.raises(Problem) as refused:
            await handlers.answer_dispute(answer(delivery), uow)
        assert refused.value.status == 422 and "correction_delivery" in refused.value.detail
    fix = jsonl({"op": "update", "row": {"统一社会信用代码": A, "名称": "某公司（更正）"}})
    after = await use_case.deliver_batch(c.DeliverBatch(dept(PROVIDER), TABLE, fix, "jsonl",
                                                        AT + timedelta(hours=2)), uow)
    assert (await handlers.answer_dispute(answer(after["batch_id"]), uow))["status"] == "upheld"
    assert uow.rows.disputes[raised["id"]]["correction_delivery"] == after["batch_id"]


def test_the_request_guard_lets_a_batch_or_a_file_as_big_as_the_settings_allow() -> None:
    """The guard caps JSON bodies (JSON Lines is JSON to it) at 1 MiB unless the service names a route's own limit:
    without it a 2 MiB batch was a 413 whatever HUB_TABLE_BATCH_MAX_BYTES said."""
    from exchange.bootstrap import spec
    from exchange.settings import ExchangeSettings

    limits = spec(ExchangeSettings(table_batch_max_bytes=5 * 2**20, file_max_bytes=7 * 2**20)).body_limits
    assert (limits["/tables/"], limits["/files/"]) == (5 * 2**20, 7 * 2**20)


def test_values_postgresql_cannot_store_are_row_errors_not_failures() -> None:
    """A NUL (raw in CSV, escaped in JSON) or an integer beyond 64 bits would fail the transaction (a 500): each
    is the row's error instead, and an unknown item named with a NUL is reported without it."""
    body = jsonl(ins(A, 名称="甲\x00公司"), {"op": "insert", "row": {"统一社会信用代码": B, "名称": "乙", "x\x00": 1}})
    assert errors(body) == [(1, "名称", "NUL characters are not accepted"),
                            (2, "x\ufffd", "not an information item of the resource")]
    csv_body = f"统一社会信用代码,名称,员工数\n{A},甲,{'9' * 25}\n{B},乙\x00,1\n".encode()
    assert errors(csv_body, "csv") == [(2, "员工数", "out of the 64-bit integer range"),
                                        (3, "名称", "NUL characters are not accepted")]
