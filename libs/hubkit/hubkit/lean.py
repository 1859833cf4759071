"""Lean routes: a few hot paths answered by plain ASGI handlers, inside the request guard and the audit trail
but past FastAPI's router, dependency solving and exception middleware (together a third of a gateway call).

A lean route is still declared on the service's router (the OpenAPI document and the access rules name it, and
an app built without its lean routes serves it there); the handler here is what serves it. What it raises as a
Problem is answered as the problem document the exception handlers would give; anything else is the same
internal error as elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any

from .guard import ASGIApp, Receive, Scope, Send, TooLarge
from .problems import Problem, send_problem, too_large

Handler = Callable[[Scope, Receive, Send, dict[str, str]], Awaitable[None]]


@dataclass(frozen=True)
class LeanRoute:
    path: str  # the route's template as the router declares it (the audit trail names the action by it)
    pattern: re.Pattern[str]  # matched whole against the request's path; named groups are the parameters
    methods: Collection[str]
    handler: Handler


class LeanRoutes:
    def __init__(self, app: ASGIApp, *, routes: Collection[LeanRoute]) -> None:
        self.app, self.routes = app, tuple(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for route in self.routes:
                found = route.pattern.fullmatch(scope.get("path", ""))
                if found is not None and scope["method"] in route.methods:
                    scope["route"] = route
                    await _answer(route, scope, receive, send, found.groupdict())
                    return
        await self.app(scope, receive, send)


async def _answer(route: LeanRoute, scope: Scope, receive: Receive, send: Send, params: dict[str, Any]) -> None:
    try:
        await route.handler(scope, receive, send, params)
    except Problem as problem:
        await send_problem(scope, send, problem)
    except TooLarge as error:  # the guard counts a streamed body as the handler reads it
        await send_problem(scope, send, too_large(error.args[0]))
