"""What every catalog route needs: the instant of a write, rule violations as problems."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from hubkit import deps
from hubkit.auth import Principal, Role
from hubkit.problems import Problem, forbidden


def write_instant(request: Request, principal: Principal, occurred_at: datetime | None) -> datetime:
    """Departments write at the service clock's now; only the bureau may record a past instant
    (loading history), so nobody can backdate an update to look fresh."""
    if occurred_at is None:
        now: datetime = deps.now(request)
        return now
    if principal.role is not Role.operator:
        raise forbidden("occurred_at: only the bureau (operator) may record a write at another instant")
    return occurred_at


def rejected(exc: Exception) -> Problem:
    return Problem(422, "Invalid request", reason(exc), kind="invalid-request")


def reason(exc: Exception) -> str:
    """One line naming each field and rule; pydantic's own wording without its prefixes."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}".replace("Value error, ", "")
                         for e in errors())
    return str(exc)
