"""What the catalog portal shows, computed without I/O: facet counts over a search, a resource's versions as
differences, the fresh/stale filter, and the metadata fields in the order and words of the guide (§5.2)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from catalog.domain.freshness import freshness
from catalog.domain.resources import Resource

# §5.2's core metadata, in the guide's order, with its words (zh) and ours (en).
FIELDS: list[tuple[str, str, str]] = [
    ("classification", "数据资源分类", "Classification"), ("name", "数据资源名称", "Name"),
    ("summary", "数据资源摘要", "Summary"), ("format", "数据资源格式", "Format"),
    ("items", "信息项", "Information items"), ("share_type", "共享类型", "Share type"),
    ("share_condition", "共享条件", "Share condition"), ("share_method", "共享方式", "Share method"),
    ("share_basis", "不予共享依据", "Basis for not sharing"), ("open_type", "开放属性", "Open"),
    ("open_condition", "开放条件", "Open condition"), ("update_cycle", "更新周期", "Update cycle"),
    ("domain", "所属领域", "Domain"), ("publish_date", "发布日期", "Publish date"),
    ("related_codes", "关联资源代码", "Related codes"), ("secret", "涉密属性", "Secret"),
]
FACETS = ("unit", "catalog", "domain", "share_type", "update_cycle", "mounted", "fresh")


def fresh_state(r: Resource, now: datetime) -> str:
    """fresh, stale, or unmounted (no data to be fresh)."""
    if r.last_update_at is None:
        return "unmounted"
    return "stale" if freshness(r.last_update_at, r.metadata.update_cycle, now).stale else "fresh"


def facet_values(r: Resource, now: datetime) -> dict[str, str]:
    m = r.metadata
    return {"unit": r.provider, "catalog": r.catalog_kind, "domain": m.domain or "", "share_type": m.share_type,
            "update_cycle": m.update_cycle, "mounted": "yes" if r.mounted else "no", "fresh": fresh_state(r, now)}


def facets(found: list[Resource], now: datetime) -> dict[str, list[tuple[str, int]]]:
    """Counts per value of each facet over the resources found, most first."""
    counts: dict[str, Counter[str]] = {f: Counter() for f in FACETS}
    for r in found:
        for facet, value in facet_values(r, now).items():
            if value:
                counts[facet][value] += 1
    return {f: sorted(c.items(), key=lambda kv: (-kv[1], kv[0])) for f, c in counts.items()}


def keep(found: list[Resource], now: datetime, fresh: str | None) -> list[Resource]:
    """The fresh/stale filter, which the database cannot apply (freshness depends on the calendar)."""
    return found if not fresh else [r for r in found if fresh_state(r, now) == fresh]


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any


def version_diffs(versions: list[dict[str, Any]]) -> list[tuple[dict[str, Any], list[Change]]]:
    """Each version with what it changed against the one before (the first: nothing)."""
    out: list[tuple[dict[str, Any], list[Change]]] = []
    before: dict[str, Any] = {}
    for v in versions:
        meta = v["metadata"]
        changes = [Change(f, before.get(f), meta.get(f)) for f in sorted(set(before) | set(meta))
                   if before and before.get(f) != meta.get(f)]
        out.append((v, changes))
        before = meta
    return out


def shown(value: Any) -> str:
    """A metadata value as a page shows it: items as name(type, length), lists joined, absent as a dash."""
    if value is None or value == [] or value == "":
        return "—"
    if isinstance(value, list):
        return "；".join(_item(v) if isinstance(v, dict) else str(v) for v in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _item(item: dict[str, Any]) -> str:
    extra = [str(item["type"])] + ([str(item["length"])] if item.get("length") else [])
    marks = ("主键" if item.get("key") else "") + ("必填" if item.get("required") else "")
    return f"{item['name']}({', '.join(extra)}){marks}"
