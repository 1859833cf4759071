"""Catalog entries from CSV rows: one row per resource, the columns of §5.2.

`items` is `name:type[:length]` separated by `;`; `related_codes` is `;`-separated; `secret` (涉密) and
`publish` (publish right after cataloguing) are true/false; `catalog` (base, theme, department) and `item` (a
base or theme resource's 项) number a new resource in its catalog. An empty cell is an absent value.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from contracts.catalog import InformationItem
from contracts.code_lists import KINDS, CatalogKind
from pydantic import ValidationError

from catalog.domain.resources import Metadata, ResourceRejected

COLUMNS = ("provider", "resource_code", "name", "classification", "summary", "format", "domain", "items",
           "share_type", "share_condition", "share_method", "share_basis", "open_type", "open_condition",
           "update_cycle", "publish_date", "related_codes", "secret", "publish", "catalog", "item")
REQUIRED = ("provider", "name", "share_type", "update_cycle")


def check_header(header: list[str]) -> None:
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        parts = ([f"missing column(s) {', '.join(missing)}"] if missing else []) + (
            [f"unknown column(s) {', '.join(unknown)}"] if unknown else [])
        raise ResourceRejected(f"header: {'; '.join(parts)} (columns: {', '.join(COLUMNS)})")


def _items(cell: str) -> list[InformationItem]:
    items = []
    for part in filter(None, (p.strip() for p in cell.split(";"))):
        bits = part.split(":")
        if len(bits) not in (2, 3) or not all(bits):
            raise ResourceRejected(f"items: {part!r} is not name:type[:length]")
        if len(bits) == 3 and not bits[2].isdigit():
            raise ResourceRejected(f"items: length of {bits[0]!r} must be a whole number, got {bits[2]!r}")
        items.append(InformationItem(name=bits[0], type=bits[1], length=int(bits[2]) if len(bits) == 3 else None))
    return items


class CsvRow(NamedTuple):
    provider: str
    resource_code: str | None
    metadata: Metadata
    publish: bool
    catalog: CatalogKind | None = None
    item: str | None = None


def parse_row(row: dict[str, str | None]) -> CsvRow:
    """The row's resource, or ResourceRejected naming the column."""
    cells = {k: (v or "").strip() for k, v in row.items() if k is not None}
    if None in row:
        raise ResourceRejected(f"row: {len(row[None] or [])} cell(s) more than the header has")  # type: ignore[index]
    publish = cells.get("publish", "").lower()
    if publish not in ("", "true", "false", "1", "0", "yes", "no"):
        raise ResourceRejected(f"publish: {publish!r} is not true or false")
    fields: dict[str, Any] = {k: v for k, v in cells.items()
                              if v and k not in ("provider", "resource_code", "items", "related_codes", "publish",
                                                 "catalog", "item")}
    fields["items"] = _items(cells.get("items", ""))
    fields["related_codes"] = [c for c in (p.strip() for p in cells.get("related_codes", "").split(";")) if c]
    try:
        metadata = Metadata.model_validate(fields)
    except ValidationError as exc:
        raise ResourceRejected("; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'row'}: {str(e['msg']).removeprefix('Value error, ')}"
            for e in exc.errors())) from None
    if not cells.get("provider"):
        raise ResourceRejected("provider: empty")
    catalog = cells.get("catalog") or None
    if catalog is not None and catalog not in KINDS:
        raise ResourceRejected(f"catalog: {catalog!r} is not one of {', '.join(KINDS)}")
    return CsvRow(cells["provider"], cells.get("resource_code") or None, metadata, publish in ("true", "1", "yes"),
                  catalog, cells.get("item") or None)
