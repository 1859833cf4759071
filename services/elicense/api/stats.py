"""Per-issuer statistics: what B2 of the rule table looks at, as the library sees it now."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from hubkit.auth import CurrentPrincipal, Role

from elicense.api.deps import local_iso, pool
from elicense.service import queries

router = APIRouter(tags=["statistics"])


def _rate(num: int, den: int | None) -> str | None:
    return f"{num / den:.4f}" if den else None


@router.get("/stats/issuers", summary="Per issuer: claimed vs pushed types, stock aggregation, files, seals")
async def issuers(request: Request, principal: CurrentPrincipal, unit: str | None = None) -> list[dict[str, Any]]:
    """A department sees its own line; the bureau, auditors and inspectors every issuer. Rates are
    decimal strings (4 places) and null where their denominator is missing or zero."""
    if principal.role is Role.department:
        unit = principal.unit
    else:
        principal.require(Role.operator, Role.auditor, Role.inspector)
    rows = await queries.issuer_stats(pool(request), unit)
    out = []
    for r in rows:
        claimed = set(r["claimed"] or [])
        pushed_types = set(r["types"] or [])
        licenses = r["licenses"] or 0
        out.append({
            "issuer": r["issuer"], "claimed_types": len(claimed),
            "claimed_types_pushed": len(claimed & pushed_types),
            "types_pushed_rate": _rate(len(claimed & pushed_types), len(claimed)),
            "unclaimed_types_pushed": sorted(pushed_types - claimed),
            "declared_stock": r["declared_stock"], "stock_pushed": r["stock_pushed"] or 0,
            "stock_aggregation_rate": _rate(r["stock_pushed"] or 0, r["declared_stock"]),
            "licenses": licenses, "with_file_rate": _rate(r["with_file"] or 0, licenses),
            "sealed_rate": _rate(r["sealed"] or 0, licenses), "revoked": r["revoked"] or 0,
            "last_auto_push": local_iso(r["last_auto_push"]),
        })
    return out
