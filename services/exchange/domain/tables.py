"""Table exchange (库表交换, seed 003 §34): a provider's batch of row changes, checked against the resource's
information items (信息项) from the catalog before anything is stored.

A batch is JSON Lines (one object per line: `{"op": "insert"|"update"|"delete", "row": {...}}`, `op` absent
means insert) or CSV (a header naming the items, an optional `_op` column; an empty cell is no value). Every
row is checked: no item the catalog does not list, each value of its item's type and within its length,
required and key items present. Rows are keyed by the key items (all items when the catalog marks none):
an insert needs a key that is not there yet, an update or a delete one that is; the batch's own rows count in
order, so an insert followed by an update of the same key is fine. One error and nothing is stored: the
provider gets every row's errors back (up to `MAX_ERRORS`), and the batch's quality report keeps them.

Values are stored canonically: integers as JSON integers, decimals as their exact decimal text (never a
float: a figure keeps its last digit), dates and instants as ISO text, booleans as JSON booleans.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, cast

import orjson

Op = Literal["insert", "update", "delete"]
Kind = Literal["string", "integer", "decimal", "date", "datetime", "boolean"]
Format = Literal["jsonl", "csv"]
MAX_ERRORS = 1000
_OPS: frozenset[str] = frozenset({"insert", "update", "delete"})

# The catalog's 数据类型 is free text; these are the words departments write for each kind. A type none of
# them names is checked as text (its length still holds).
_KINDS: dict[str, Kind] = {
    **dict.fromkeys(("string", "str", "text", "varchar", "char", "字符", "字符型", "字符串", "文本"), "string"),
    **dict.fromkeys(("integer", "int", "bigint", "smallint", "long", "整型", "整数"), "integer"),
    **dict.fromkeys(("decimal", "number", "numeric", "float", "double", "数值", "数值型", "数字", "小数"),
                    "decimal"),
    **dict.fromkeys(("date", "日期", "日期型"), "date"),
    **dict.fromkeys(("datetime", "timestamp", "time", "日期时间", "日期时间型", "时间戳"), "datetime"),
    **dict.fromkeys(("boolean", "bool", "布尔", "布尔型", "逻辑型"), "boolean"),
}
_TRUE, _FALSE = frozenset({"true", "1", "是", "y", "yes"}), frozenset({"false", "0", "否", "n", "no"})


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    length: int | None
    required: bool
    key: bool


def columns_of(items: Iterable[Mapping[str, Any]]) -> list[Column]:
    """The resource's information items as checked columns; with no key item, every item is the key."""
    cols = [Column(str(i["name"]), _KINDS.get(str(i.get("type", "")).strip().lower(), "string"),
                   i.get("length"), bool(i.get("required")) or bool(i.get("key")), bool(i.get("key")))
            for i in items]
    if cols and not any(c.key for c in cols):
        cols = [Column(c.name, c.kind, c.length, c.required, True) for c in cols]
    return cols


@dataclass(frozen=True)
class RowError:
    line: int  # 1-based line of the input (CSV: the header is line 1)
    field: str | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "reason": self.reason}


@dataclass(frozen=True)
class Change:
    line: int
    op: Op
    key: str  # the key values as canonical JSON text
    row: dict[str, Any] | None  # None for a delete


@dataclass
class Checked:
    changes: list[Change] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    rows: int = 0

    def fail(self, line: int, fld: str | None, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(line, fld, reason))


class BatchUnreadable(ValueError):
    """The body is not a batch at all (not UTF-8, no rows, a CSV header naming no item): nothing to check."""


def _value(col: Column, raw: Any, text: bool) -> Any:
    """The canonical value, or raise ValueError with the reason. `text`: it came from CSV (always a string)."""
    if isinstance(raw, str) and "\x00" in raw:  # PostgreSQL stores no NUL: refuse it as the row's error
        raise ValueError("NUL characters are not accepted")
    if col.kind == "string":
        if not isinstance(raw, str):
            raise ValueError("expected text")
        value: Any = raw
        size = len(raw)
    elif col.kind == "integer":
        value, size = _integer(raw, text)
    elif col.kind == "decimal":
        value, size = _decimal(raw, text)
    elif col.kind == "boolean":
        value = _boolean(raw, text)
        size = 0
    else:
        if not isinstance(raw, str):
            raise ValueError(f"expected an ISO {col.kind} text")
        value = _moment(col.kind, raw)
        size = 0
    if col.length is not None and size > col.length:
        raise ValueError(f"longer than {col.length}")
    return value


def _integer(raw: Any, text: bool) -> tuple[int, int]:
    if isinstance(raw, bool) or not isinstance(raw, int | str) or (isinstance(raw, str) and not text):
        raise ValueError("expected an integer")
    try:
        value = int(raw)
    except ValueError:
        raise ValueError("expected an integer") from None
    if not -2**63 <= value < 2**63:
        raise ValueError("out of the 64-bit integer range")
    return value, len(str(abs(value)))


def _decimal(raw: Any, text: bool) -> tuple[str, int]:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueError("expected a number")
    try:
        number = Decimal(str(raw)) if not isinstance(raw, float) else Decimal(repr(raw))
    except InvalidOperation:
        raise ValueError("expected a number") from None
    if not number.is_finite():
        raise ValueError("expected a finite number")
    return str(number), len(number.as_tuple().digits)


def _boolean(raw: Any, text: bool) -> bool:
    if isinstance(raw, bool):
        return raw
    if text and isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    raise ValueError("expected true or false")


def _moment(kind: Kind, raw: str) -> str:
    try:
        if kind == "date":
            return date.fromisoformat(raw).isoformat()
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"expected an ISO {kind} text") from None
    if moment.tzinfo is None:
        raise ValueError("expected an instant with its UTC offset")
    return moment.isoformat()


def _row(out: Checked, line: int, op: str, fields: Mapping[str, Any], cols: Sequence[Column],
         by_name: Mapping[str, Column], text: bool) -> Change | None:
    errors_before = out.error_count
    if op not in _OPS:
        out.fail(line, "op", f"{op!r} is not insert, update or delete")
        return None
    for name in fields:
        if name not in by_name:  # named in the report, which is stored: never with a NUL
            out.fail(line, name.replace("\x00", "\ufffd"), "not an information item of the resource")
    row: dict[str, Any] = {}
    for col in cols:
        raw = fields.get(col.name)
        if raw is None or (text and raw == ""):
            needed = col.key if op == "delete" else col.required
            if needed:
                out.fail(line, col.name, "a key item needs a value" if col.key else "a required item needs a value")
            continue
        try:
            row[col.name] = _value(col, raw, text)
        except ValueError as exc:
            out.fail(line, col.name, str(exc))
    if out.error_count > errors_before:
        return None
    key = orjson.dumps([row.get(c.name) for c in cols if c.key]).decode()
    return Change(line, cast(Op, op), key, None if op == "delete" else row)


def _jsonl(body: str) -> Iterator[tuple[int, str, Mapping[str, Any] | str]]:
    """(line, op, fields) per non-blank line; fields is the reason when the line is no change object."""
    for line, text in enumerate(body.splitlines(), start=1):
        if not text.strip():
            continue
        try:
            obj = orjson.loads(text)
        except orjson.JSONDecodeError:
            yield line, "", "not a JSON object"
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("row"), dict) or set(obj) - {"op", "row"}:
            yield line, "", 'expected {"op": ..., "row": {...}}'
            continue
        yield line, str(obj.get("op", "insert")), obj["row"]


def _csv(body: str, cols: Sequence[Column]) -> Iterator[tuple[int, str, Mapping[str, Any] | str]]:
    reader = csv.reader(io.StringIO(body, newline=""))
    header = next(reader, None)
    names = {c.name for c in cols}
    if not header or not (set(header) & names):
        raise BatchUnreadable("the CSV header names no information item of the resource")
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        line = reader.line_num
        if len(row) != len(header):
            yield line, "", f"{len(row)} cells for {len(header)} columns"
            continue
        fields = dict(zip(header, row, strict=True))
        op = fields.pop("_op", "") or "insert"
        yield line, op, fields


def check(body: bytes, fmt: Format, cols: Sequence[Column]) -> Checked:
    """Every row of the batch checked against the columns; `changes` holds the rows that passed."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BatchUnreadable("the batch is not UTF-8 text") from None
    out = Checked()
    by_name = {c.name: c for c in cols}
    lines = _jsonl(text) if fmt == "jsonl" else _csv(text, cols)
    for line, op, fields in lines:
        out.rows += 1
        if isinstance(fields, str):
            out.fail(line, None, fields)
            continue
        change = _row(out, line, op, fields, cols, by_name, fmt == "csv")
        if change is not None:
            out.changes.append(change)
    if out.rows == 0:
        raise BatchUnreadable("the batch has no rows")
    return out


@dataclass(frozen=True)
class Net:
    """What a checked batch does to the stored table, key by key: rows to insert, to update, keys to delete."""

    inserts: dict[str, dict[str, Any]]
    updates: dict[str, dict[str, Any]]
    deletes: set[str]


def against(checked: Checked, present: set[str]) -> Net:
    """Apply the changes in order over the keys already stored (`present`); a change that does not fit its
    key's state is a row error (added to `checked`). The net effect is what storage must do."""
    state: dict[str, dict[str, Any] | None] = {}
    for ch in checked.changes:
        exists = state[ch.key] is not None if ch.key in state else ch.key in present
        if ch.op == "insert" and exists:
            checked.fail(ch.line, None, "insert: a row with this key is there already (update it)")
        elif ch.op != "insert" and not exists:
            checked.fail(ch.line, None, f"{ch.op}: no row with this key")
        else:
            state[ch.key] = ch.row
    inserts: dict[str, dict[str, Any]] = {}
    updates: dict[str, dict[str, Any]] = {}
    deletes: set[str] = set()
    for key, row in state.items():
        if row is None:
            if key in present:
                deletes.add(key)
        elif key in present:
            updates[key] = row
        else:
            inserts[key] = row
    return Net(inserts, updates, deletes)


def counts(checked: Checked) -> dict[str, int]:
    ops = [ch.op for ch in checked.changes]
    return {"rows": checked.rows, "inserted": ops.count("insert"), "updated": ops.count("update"),
            "deleted": ops.count("delete")}
