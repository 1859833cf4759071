"""What every server-rendered page of the hub shares: instants as people here read them, and who a page
session cookie signs in (the console's and the catalog portal's pages)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from contracts.workdays import SHANGHAI
from fastapi import Request

from hubkit.auth import Principal, Role
from hubkit.problems import Problem


def local_time(value: Any, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """An instant (or its ISO text) in Beijing time; absent as a dash; other text as it is."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).strftime(fmt)
    return "—" if value is None else str(value)


def session_principal(request: Request, session: str | None, roles: Iterable[Role]) -> Principal | None:
    """Who the session token signs in, if it verifies and its role may see these pages (a department only
    with its unit); None otherwise."""
    if not session:
        return None
    try:
        who: Principal = request.app.state.verifier.verify(session)
    except Problem:
        return None
    return who if who.role in tuple(roles) and (who.role is not Role.department or who.unit) else None
