"""Abnormal data back to issuers (电子证照总库异常数据接口): the anomalies the library found in the licenses
an issuer pushed, open or corrected, and how quickly each issuer corrects them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from hubkit.auth import CurrentPrincipal, Role

from elicense.api.deps import local_iso, pool
from elicense.service import queries

router = APIRouter(tags=["anomalies"])


def _issuer(principal: Any, issuer: str | None) -> str | None:
    """A department sees its own licenses' anomalies only; the bureau, auditors and inspectors any."""
    if principal.role is Role.department:
        return str(principal.unit)
    return issuer


@router.get("/anomalies", summary="Abnormal data found in pushed licenses, newest first (the issuer's list)")
async def listed(request: Request, principal: CurrentPrincipal, issuer: str | None = None,
                 status: Literal["open", "corrected"] | None = None,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict[str, Any]]:
    rows = await queries.anomalies(pool(request), _issuer(principal, issuer), status, limit)
    return [{**r, "found_at": local_iso(r["found_at"]),
             "corrected_at": local_iso(r["corrected_at"]) if r["corrected_at"] else None,
             "status": "open" if r["corrected_at"] is None else "corrected"} for r in rows]


@router.get("/anomalies/stats", summary="Per issuer: anomalies open and corrected, hours to correct")
async def stats(request: Request, principal: CurrentPrincipal, issuer: str | None = None) -> list[dict[str, Any]]:
    rows = await queries.anomaly_stats(pool(request), _issuer(principal, issuer))
    return [{**r, "mean_hours_to_correct": str(r["mean_hours_to_correct"]) if r["mean_hours_to_correct"] is not None
             else None, "max_hours_to_correct": str(r["max_hours_to_correct"]) if r["max_hours_to_correct"] is not None
             else None} for r in rows]
