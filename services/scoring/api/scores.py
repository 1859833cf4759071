"""Scores: the month's leaderboard, one unit's breakdown with its events, history, and as-of."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from hubkit.auth import CurrentPrincipal, Role
from hubkit.problems import Problem, not_found

from scoring.api import deps
from scoring.domain.clock import month_of, to_datetime, to_instant
from scoring.domain.engine import NotScored, evaluate_unit
from scoring.domain.sources import source_keys
from scoring.service import queries

router = APIRouter(prefix="/scores", tags=["scores"])
READERS = (Role.operator, Role.auditor, Role.inspector, Role.service, Role.department)
_DETAIL_FIELDS = ("resource_code", "request_id", "license_id", "call_id", "finding_id", "item", "dispute_id",
                  "batch_id", "consumer_unit", "error", "reason", "effect", "count", "purpose", "note")


def _unit_info(request: Request, unit: str) -> dict[str, Any]:
    reg = deps.projector(request).projection.store.directory.get(unit)
    return {"name": reg.name if reg else None, "kind": reg.kind if reg else None,
            "division_code": reg.division_code if reg else None}


@router.get("", summary="The month's leaderboard (rank, X, Y, total, band, list, change since yesterday)")
async def leaderboard(
    request: Request, principal: CurrentPrincipal,
    month: Annotated[str | None, Query(description="YYYY-MM; default: the month of the watermark")] = None,
    kind: Literal["department", "city"] | None = None,
    band: Literal["very-high", "high", "medium", "low"] | None = None,
    list_: Annotated[Literal["red", "black", "none"] | None, Query(alias="list")] = None,
    q: Annotated[str | None, Query(description="name or code contains")] = None,
) -> dict[str, Any]:
    principal.require(*READERS)
    month = deps.month_or_current(request, month)
    wm = deps.projector(request).projection.watermark
    rows, trend_rows = await queries.leaderboard(deps.pool(request), month,
                                               to_datetime(wm - 86_400_000_000) if wm is not None else None)
    trends: dict[str, list[dict[str, str]]] = {}
    for r in trend_rows:
        trends.setdefault(r["unit"], []).append({"month": r["month"], "total": str(r["total"])})
    board = []
    for rank, r in enumerate(rows, start=1):
        info = _unit_info(request, r["unit"])
        entry = {"rank": rank, "unit": r["unit"], **info, "x": str(r["x"]), "y": str(r["y"]),
                 "total": str(r["total"]), "band": r["band"], "list": r["list"],
                 "change_since_yesterday": str(r["total"] - r["yesterday"]) if r["yesterday"] is not None else None,
                 "trend": trends.get(r["unit"], [])}
        if (kind and info["kind"] != kind) or (band and r["band"] != band) or (list_ and r["list"] != list_):
            continue
        if q and q not in r["unit"] and q not in (info["name"] or ""):
            continue
        board.append(entry)
    ruleset = deps.ruleset(request)
    return {"month": month, "ruleset": ruleset.id, "ruleset_version": ruleset.version,
            "as_of": to_datetime(wm).isoformat() if wm is not None else None, "units": board,
            "exempt": exempt_units(request, month)}


def exempt_units(request: Request, month: str) -> list[dict[str, Any]]:
    """Units not checked in the month (not scored, not ranked), with the document that says so."""
    directory = deps.projector(request).projection.store.directory
    out = []
    for unit in directory.exempt_units(month):
        reg = directory.units[unit]
        out.append({"unit": unit, "name": reg.name, "kind": reg.kind,
                    "exempt_from": reg.exempt_from.isoformat() if reg.exempt_from else None,
                    "exempt_basis": reg.exempt_basis})
    return out


@router.get("/{unit}", summary="One unit's breakdown: X, Y, ALL, band, list, every item with its cap and events")
async def breakdown(
    unit: str, request: Request, principal: CurrentPrincipal, month: str | None = None,
) -> dict[str, Any]:
    principal.require(*READERS)
    principal.ensure_unit(unit)
    month = deps.month_or_current(request, month)
    row, events = await queries.unit_result(deps.pool(request), unit, month)
    if row is None:
        exempt = next((e for e in exempt_units(request, month) if e["unit"] == unit), None)
        if exempt is not None:
            raise Problem(404, "Not found", f"{unit} is not checked from {exempt['exempt_from']} "
                          f"({exempt['exempt_basis']}): it has no score in {month}", kind="not-found")
        raise not_found("score of unit", f"{unit} in {month}")
    return {**_unit_info(request, unit), **_explained(request, row["result"], events),
            "month": month, "ruleset": row["ruleset"], "ruleset_version": row["ruleset_version"],
            "as_of": row["as_of"].isoformat()}


def _explained(request: Request, result: dict[str, Any], events: list[Any]) -> dict[str, Any]:
    ruleset = deps.ruleset(request)
    sources = source_keys(ruleset, deps.requirements(request), deps.inventory_rules(request))
    by_id = {str(e["event_id"]): _event_summary(e) for e in events}
    indicators = []
    for indicator in ruleset.indicators:
        items = [
            {"item": item.id, "label_zh": item.label_zh, "label_en": item.label_en,
             "facts_from": sources[item.id], "points": result["items"][item.id],
             "events": [by_id.get(i, {"id": i}) for i in result["causes"].get(item.id, [])]}
            for item in indicator.items if item.id in result["items"]
        ]
        if indicator.id in result["absent_indicators"] or items:
            raw = sum((Decimal(i["points"]) for i in items), Decimal(0))
            capped = Decimal(result["indicators"].get(indicator.id, "0"))
            indicators.append({"indicator": indicator.id, "part": indicator.part, "label_zh": indicator.label_zh,
                               "label_en": indicator.label_en, "cap": str(indicator.points),
                               "raw": f"{raw:.2f}", "points": f"{capped:.2f}", "cap_applied": raw > capped,
                               "absent": indicator.id in result["absent_indicators"], "items": items})
    return {"unit": result["unit"], "x": result["x"], "y": result["y"], "total": result["total"],
            "band": result["band"], "list": result["list"], "absent_indicators": result["absent_indicators"],
            "indicators": indicators}


def _event_summary(row: Any) -> dict[str, Any]:
    data = orjson.loads(row["envelope"]).get("data", {})
    return {"id": str(row["event_id"]), "position": row["position"], "type": row["type"], "unit": row["unit"],
            "occurred_at": row["occurred_at"].isoformat(),
            "details": {k: data[k] for k in _DETAIL_FIELDS if data.get(k) not in (None, "")}}


@router.get("/{unit}/history", summary="The unit's score in every month, and its changes within a month")
async def history(unit: str, request: Request, principal: CurrentPrincipal, month: str | None = None) -> dict[str, Any]:
    principal.require(*READERS)
    principal.ensure_unit(unit)
    months, changes = await queries.unit_history(deps.pool(request), unit, month)
    if not months:
        raise not_found("scores of unit", unit)

    def plain(r: Any) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Decimal) else v.isoformat() if isinstance(v, datetime) else v)
                for k, v in dict(r).items()}

    return {"unit": unit, "months": [plain(r) for r in months], "changes": [plain(r) for r in changes]}


@router.get("/{unit}/as-of", summary="The unit's score as of any instant, recomputed from the archived facts")
async def as_of(
    unit: str, request: Request, principal: CurrentPrincipal,
    instant: Annotated[datetime, Query(description="RFC 3339 with offset")],
) -> dict[str, Any]:
    principal.require(*READERS)
    principal.ensure_unit(unit)
    t = to_instant(deps.aware(instant, "instant"))
    month = month_of(t)
    ruleset = deps.ruleset(request)
    directory, store = await deps.live(request).scope_of(unit)  # another shard's unit: from the archive
    try:
        result = evaluate_unit(ruleset, directory, store, unit, month, t)
    except NotScored as exc:
        raise Problem(404, "Not found", str(exc), kind="not-found") from None
    return {"month": month, "as_of": instant.isoformat(), "ruleset": ruleset.id,
            "ruleset_version": ruleset.version, **result.canonical()}
