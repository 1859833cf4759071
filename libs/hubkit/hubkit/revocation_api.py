"""`POST /admin/revocations` and `GET /admin/revocations` on every service (see `hubkit.revocations`)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import AwareDatetime, BaseModel, Field, model_validator

from . import outbox
from .auth import CurrentPrincipal
from .revocations import TOPIC, Revocation, RevocationList, new_revocation, record

router = APIRouter(prefix="/admin", tags=["ops"])


class RevocationBody(BaseModel):
    jti: Annotated[str | None, Field(min_length=1, max_length=200, description="one token, by its jti")] = None
    subject: Annotated[str | None, Field(min_length=1, max_length=300,
                                         description="every token of this subject (`sub`) ...")] = None
    issued_before: AwareDatetime | None = Field(
        default=None, description="... issued at or before this instant (default: now)")
    reason: str = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _one(self) -> RevocationBody:
        if (self.jti is None) == (self.subject is None):
            raise ValueError("name either a jti or a subject")
        if self.jti is not None and self.issued_before is not None:
            raise ValueError("issued_before goes with a subject")
        return self


def _view(r: Revocation) -> dict[str, Any]:
    def instant(t: int | None) -> str | None:
        return datetime.fromtimestamp(t, UTC).isoformat() if t is not None else None

    return {"id": str(r.id), "jti": r.jti, "subject": r.subject, "issued_before": instant(r.issued_before),
            "kept_until": instant(r.expires_at), "reason": r.reason, "by": r.by}


@router.post("/revocations", status_code=201, summary="Revoke a token, or every token of a subject, on every service")
async def revoke(body: RevocationBody, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    """Refused here at once, and by every other service as soon as it reads the platform topic (moments,
    while the broker is up). Kept until every token it covers has expired."""
    host = request.app.state.host
    r = new_revocation(jti=body.jti, subject=body.subject, issued_before=body.issued_before, reason=body.reason,
                       by=principal.subject, now=time.time())
    async with host.pool.acquire() as conn, conn.transaction():
        await record(conn, host.spec.schema, r)
        await outbox.add_encoded(conn, host.spec.schema, [(r.id, TOPIC, b"revocations", r.to_json())])
    revoked: RevocationList = request.app.state.revocations
    revoked.add(r)
    return _view(r)


@router.get("/revocations", summary="Revocations in force (known to this service)")
async def list_revocations(request: Request, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    host = request.app.state.host
    rows = await host.pool.fetch(f"SELECT * FROM {host.spec.schema}.revocations WHERE expires_at > $1 "
                                 "ORDER BY recorded_at DESC LIMIT 1000", int(time.time()))
    return [_view(Revocation.of_row(r)) for r in rows]
