"""RFC 9457 problem details for every error a service returns."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import asyncpg
import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .telemetry import get_logger

PROBLEM_JSON = "application/problem+json"
BASE = "https://gov-hub.example/problems/"
log = get_logger(__name__)


class Problem(Exception):
    """Raise anywhere in a request to answer with a problem document."""

    def __init__(self, status: int, title: str, detail: str = "", *, kind: str | None = None, **extra: Any) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail = status, title, detail
        self.kind = kind or title.lower().replace(" ", "-")
        self.extra = extra


def not_found(what: str, key: object) -> Problem:
    return Problem(404, "Not found", f"{what} {key} does not exist", kind="not-found")


def conflict(detail: str, **extra: Any) -> Problem:
    return Problem(409, "Conflict", detail, kind="conflict", **extra)


def invalid(detail: str, **extra: Any) -> Problem:
    return Problem(422, "Invalid request", detail, kind="invalid-request", **extra)


def forbidden(detail: str) -> Problem:
    return Problem(403, "Forbidden", detail, kind="forbidden")


def too_large(limit: object) -> Problem:
    """A body over the route's limit (`guard.TooLarge`), as both the routers and the lean routes answer it."""
    return Problem(413, "Content too large", f"this endpoint takes at most {limit} bytes", kind="content-too-large")


def _document(path: str, status: int, title: str, detail: str, kind: str, extra: dict[str, Any]
              ) -> tuple[dict[str, Any], dict[str, str]]:
    """A problem's body and the headers that go with it (a 401's challenge, a 429's or 503's Retry-After)."""
    body = {"type": BASE + kind, "title": title, "status": status, "detail": detail, "instance": path}
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if status in (429, 503) and isinstance(extra.get("retry_after"), int):
        headers["Retry-After"] = str(extra["retry_after"])
    return body, headers


def _response(request: Request, status: int, title: str, detail: str, kind: str, **extra: Any) -> JSONResponse:
    body, headers = _document(request.url.path, status, title, detail, kind, extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def send_problem(scope: MutableMapping[str, Any], send: Callable[[dict[str, Any]], Awaitable[None]],
                       problem: Problem) -> None:
    """Answer a Problem on a plain ASGI route (hubkit.lean) exactly as the exception handlers below do."""
    document, extra_headers = _document(scope.get("path", ""), problem.status, problem.title, problem.detail,
                                        problem.kind, problem.extra)
    body = orjson.dumps(document)
    headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode()),
               *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in extra_headers.items())]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return _response(request, exc.status, exc.title, exc.detail, exc.kind, **exc.extra)

    from .guard import TooLarge

    @app.exception_handler(TooLarge)
    async def _too_large(request: Request, exc: TooLarge) -> JSONResponse:
        return await _problem(request, too_large(exc.args[0]))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
             "reason": str(e.get("msg", "")).removeprefix("Value error, ")}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        return _response(request, 422, "Invalid request", detail, "invalid-request", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed"}.get(
            exc.status_code, "HTTP error"
        )
        return _response(request, exc.status_code, title, str(exc.detail), title.lower().replace(" ", "-"))

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> JSONResponse:
        # e.g. an instant at the edge of the calendar that leaves it once converted to UTC
        return _response(request, 422, "Invalid request", "a value is outside the range the hub accepts",
                         "invalid-request")

    @app.exception_handler(asyncpg.DataError)
    async def _data(request: Request, exc: asyncpg.DataError) -> JSONResponse:
        # The last line of defence (inputs are validated before they reach the database): a value the
        # database cannot store is the caller's, so a 4xx; the transaction it was in changed nothing.
        log.warning("database refused a value", path=request.url.path, sqlstate=exc.sqlstate)
        return _response(request, 422, "Invalid request", "a value cannot be stored (out of range or malformed)",
                         "invalid-request")

    @app.exception_handler(asyncpg.ProgramLimitExceededError)
    async def _limit(request: Request, exc: asyncpg.ProgramLimitExceededError) -> JSONResponse:
        log.warning("database limit exceeded", path=request.url.path, sqlstate=exc.sqlstate)
        return _response(request, 422, "Invalid request", "a value is too large to be stored", "invalid-request")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", path=request.url.path)
        return _response(request, 500, "Internal error", "an unexpected error occurred; it has been logged",
                         "internal-error")
