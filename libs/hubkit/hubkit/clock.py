"""An injectable clock. Services never call datetime.now() directly.

Production uses the system clock. A simulation (the demo month in 2019, tests)
sets `HUB_SIMULATED_CLOCK=true`; then an operator can move time with
`PUT /admin/clock`, never backwards, and time stands still between moves.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import AwareDatetime, BaseModel

from .auth import CurrentPrincipal, Role
from .problems import Problem


class Clock:
    def __init__(self, simulated_at: datetime | None = None) -> None:
        self._simulated = simulated_at

    @property
    def simulated(self) -> bool:
        return self._simulated is not None

    def now(self) -> datetime:
        return self._simulated if self._simulated is not None else datetime.now(UTC)

    def set(self, when: datetime) -> None:
        if self._simulated is None:
            raise Problem(409, "Conflict", "this service runs on the system clock", kind="clock-not-simulated")
        if when.tzinfo is None:
            raise Problem(422, "Invalid request", "now: an instant needs an offset", kind="invalid-request")
        if when < self._simulated:
            raise Problem(409, "Conflict", f"the clock cannot go back from {self._simulated.isoformat()}",
                          kind="clock-backwards")
        self._simulated = when


class ClockBody(BaseModel):
    now: Annotated[AwareDatetime, "the new simulated instant"]


router = APIRouter(prefix="/admin", tags=["ops"])


@router.get("/clock", summary="The service's current time")
async def read_clock(request: Request, principal: CurrentPrincipal) -> dict[str, object]:
    clock: Clock = request.app.state.clock
    return {"now": clock.now().isoformat(), "simulated": clock.simulated}


@router.put("/clock", summary="Move a simulated clock forward (simulations only)")
async def move_clock(body: ClockBody, request: Request, principal: CurrentPrincipal) -> dict[str, object]:
    principal.require(Role.operator, Role.service)
    clock: Clock = request.app.state.clock
    clock.set(body.now)
    return {"now": clock.now().isoformat(), "simulated": True}
